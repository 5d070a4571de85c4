package session

import (
	"reflect"
	"strings"
	"testing"

	"github.com/devbox-dev/devbox/internal/wire"
)

// fullTicket sets every field, with strings that need quoting.
func fullTicket() Ticket {
	return Ticket{
		Socket:    FileID{Dev: 65024, Ino: 99, Size: 0, Mtime: 1796136897069649742},
		Record:    FileID{Dev: 1, Ino: 2, Size: 1453, Mtime: -5},
		Digest:    "2c48808a2fa327e4",
		Env:       []string{"FOO", "BAR_2"},
		Denials:   "/home/u/.local/share/devbox/sandboxes/p/denials.jsonl",
		ShortName: "p", NameDirs: []FileID{{Dev: 3, Ino: 4, Size: 4096, Mtime: 7}, {}},
		Template: Template{
			Name: "p-89415e", Project: "/src/p q\n\"x\"", Home: "/home/u", Shell: "/bin/zsh", Workdir: "/w",
			Pass:  []string{"AWS_*", ""},
			Extra: []string{"ENV=/run/devbox/shellinit/shrc", "PROMPT_COMMAND=[ -n \"${x-}\" ] || . /p\t\\"},
			GUI:   true, Post: []string{"USER=u", "LOGNAME=u"},
			KeepID:   &wire.KeepID{UID: 1003, GID: 1004},
			HostView: true, ImageEnv: []string{"PATH=/img"}, ImageWorkdir: "/src", ImageShell: "/bin/bash",
			Env: []string{"A=1", "PATH=$PATH:/x"}, User: "root",
		},
	}
}

// A ticket reads back as it was written, every field and every byte of
// every string.
func TestTicketRoundTrip(t *testing.T) {
	for _, tk := range []Ticket{{}, fullTicket()} {
		got, err := DecodeTicket(tk.Encode())
		if err != nil {
			t.Fatalf("DecodeTicket(Encode(%+v)): %v", tk, err)
		}
		if !reflect.DeepEqual(got, tk) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, tk)
		}
	}
}

// Anything but what Encode writes is refused: the fast join then leaves
// the command line to the full client.
func TestDecodeTicketRefuses(t *testing.T) {
	good := string(fullTicket().Encode())
	for name, text := range map[string]string{
		"empty":            "",
		"another version":  strings.Replace(good, ticketMagic, "devbox join ticket 0", 1),
		"no last newline":  strings.TrimSuffix(good, "\n"),
		"unknown key":      good + "network \"pasta\"\n",
		"repeated string":  good + "name \"other\"\n",
		"empty string":     ticketMagic + "\nshell \"\"\n",
		"unquoted string":  ticketMagic + "\nshell /bin/sh\n",
		"short file id":    ticketMagic + "\nsocket 1 2 3\n",
		"bad file id":      ticketMagic + "\nsocket 1 2 3 x\n",
		"flag not true":    ticketMagic + "\ngui false\n",
		"repeated flag":    ticketMagic + "\ngui true\ngui true\n",
		"repeated keep_id": ticketMagic + "\nkeep_id 1:2\nkeep_id 1:2\n",
		"bad keep_id":      ticketMagic + "\nkeep_id 1\n",
		"keep_id too big":  ticketMagic + "\nkeep_id 4294967296:0\n",
		"bad list element": ticketMagic + "\nenv FOO\n",
		"blank line":       ticketMagic + "\n\n",
	} {
		if _, err := DecodeTicket([]byte(text)); err == nil {
			t.Errorf("%s: DecodeTicket accepted %q", name, text)
		}
	}
}

// FuzzDecodeTicket: any input is refused or reads as a ticket that writes
// back to the same ticket; none panics.
func FuzzDecodeTicket(f *testing.F) {
	f.Add(fullTicket().Encode())
	f.Add([]byte(ticketMagic + "\n"))
	f.Add([]byte(ticketMagic + "\nkeep_id 1:2\ngui true\nenv \"A\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := DecodeTicket(b)
		if err != nil {
			return
		}
		again, err := DecodeTicket(tk.Encode())
		if err != nil || !reflect.DeepEqual(again, tk) {
			t.Fatalf("%q decoded to %+v, which writes back as %+v (%v)", b, tk, again, err)
		}
	})
}
