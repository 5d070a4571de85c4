package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrame bounds one message. Spawn requests carry the environment, so
// allow generous room, but never trust a length prefix beyond this.
const MaxFrame = 256 << 10

// Appender is a message that writes its own JSON body.
type Appender interface {
	Kind() string
	AppendJSON(b []byte) []byte
}

// Frame returns one frame of a message of kind whose body appendBody
// writes: a length prefix (4 bytes, big-endian), then the envelope
// {"type":KIND,"body":BODY} as encoding/json writes it.
func Frame(kind string, appendBody func([]byte) ([]byte, error)) ([]byte, error) {
	out := append(make([]byte, 4, 512), `{"type":`...)
	out = AppendString(out, kind)
	out = append(out, `,"body":`...)
	out, err := appendBody(out)
	if err != nil {
		return nil, err
	}
	out = append(out, '}')
	n := len(out) - 4
	if n > MaxFrame {
		return nil, fmt.Errorf("encode %s: message of %d bytes exceeds %d", kind, n, MaxFrame)
	}
	binary.BigEndian.PutUint32(out, uint32(n))
	return out, nil
}

// Encode is msg's frame.
func Encode(msg Appender) ([]byte, error) {
	return Frame(msg.Kind(), func(b []byte) ([]byte, error) { return msg.AppendJSON(b), nil })
}

// ErrFrameTooLarge is returned for a length prefix beyond MaxFrame.
var ErrFrameTooLarge = errors.New("frame too large")

// ReadFrame reads one frame from a stream (a pipe) and returns its
// envelope: io.EOF when the stream ends before a frame starts.
func ReadFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("read frame of %d bytes: %w", n, ErrFrameTooLarge)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read frame body: %w", err)
	}
	return buf, nil
}

// Payload is the envelope of one whole frame held in b (one SEQPACKET
// packet): the bytes its length prefix names.
func Payload(b []byte) ([]byte, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("read frame: %d bytes, want a length prefix", len(b))
	}
	n := binary.BigEndian.Uint32(b)
	switch {
	case n > MaxFrame:
		return nil, fmt.Errorf("read frame of %d bytes: %w", n, ErrFrameTooLarge)
	case int(n) != len(b)-4:
		return nil, fmt.Errorf("read frame body: %d bytes, the prefix says %d", len(b)-4, n)
	}
	return b[4:], nil
}

// SplitEnvelope returns the kind and body of an envelope as Frame writes
// it, {"type":"KIND","body":BODY}, without decoding BODY; ok is false for
// any other form, which encoding/json may still read.
func SplitEnvelope(buf []byte) (kind string, body []byte, ok bool) {
	const pre, mid = `{"type":"`, `","body":`
	if len(buf) < len(pre)+len(mid)+1 || string(buf[:len(pre)]) != pre || buf[len(buf)-1] != '}' {
		return "", nil, false
	}
	rest := buf[len(pre):]
	i := 0
	for i < len(rest) && (rest[i] >= 'A' && rest[i] <= 'Z' || rest[i] >= 'a' && rest[i] <= 'z') {
		i++
	}
	if len(rest)-i < len(mid)+2 || string(rest[i:i+len(mid)]) != mid {
		return "", nil, false
	}
	return string(rest[:i]), rest[i+len(mid) : len(rest)-1], true
}
