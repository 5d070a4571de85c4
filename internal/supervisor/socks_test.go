package supervisor

import (
	"bufio"
	"bytes"
	"testing"
)

func TestReadSocksRequest(t *testing.T) {
	tests := []struct {
		desc     string
		in       []byte
		want     string
		wantCode byte
		wantErr  bool
	}{
		{"domain", append(append([]byte{5, 1, 0, 3, 8}, "ok.test."...), 0x1f, 0x90), "ok.test.:8080", 0, false},
		{"IPv4", []byte{5, 1, 0, 1, 127, 0, 0, 1, 0, 80}, "127.0.0.1:80", 0, false},
		{"IPv6", []byte{5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187}, "[::1]:443", 0, false},
		{"BIND", []byte{5, 2, 0, 1, 127, 0, 0, 1, 0, 80}, "", socksCmdNotSupp, true},
		{"UDP ASSOCIATE", []byte{5, 3, 0, 1, 0, 0, 0, 0, 0, 0}, "", socksCmdNotSupp, true},
		{"unknown address type", []byte{5, 1, 0, 9, 1, 2}, "", socksATYPNotSupp, true},
		{"version 4", []byte{4, 1, 0, 1, 127, 0, 0, 1, 0, 80}, "", socksFailure, true},
		{"short", []byte{5, 1, 0, 3, 8, 'o', 'k'}, "", 0, true},
		{"empty", nil, "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, code, err := readSocksRequest(bufio.NewReader(bytes.NewReader(tt.in)))
			if got != tt.want || code != tt.wantCode || (err != nil) != tt.wantErr {
				t.Errorf("= %q, %d, %v; want %q, %d, error %v", got, code, err, tt.want, tt.wantCode, tt.wantErr)
			}
		})
	}
}

func FuzzReadSocksRequest(f *testing.F) {
	f.Add([]byte{5, 1, 0, 3, 2, 'o', 'k', 0, 80})
	f.Add([]byte{5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187})
	f.Fuzz(func(t *testing.T, in []byte) {
		got, code, err := readSocksRequest(bufio.NewReader(bytes.NewReader(in)))
		if err == nil && (got == "" || code != 0) {
			t.Errorf("no error but %q, code %d", got, code)
		}
	})
}
