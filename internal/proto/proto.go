package proto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/devbox-dev/devbox/internal/wire"
)

// MaxFrame bounds one message (wire.MaxFrame).
const MaxFrame = wire.MaxFrame

// Message is implemented by every message type.
type Message interface{ Kind() string }

// envelope is the JSON form of a frame.
type envelope struct {
	Type string          `json:"type"`
	Body json.RawMessage `json:"body,omitempty"`
}

// Encode writes msg as one frame.
func Encode(w io.Writer, msg Message) error {
	b, err := Marshal(msg)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Marshal returns msg as one frame (wire.Frame), the body by the message
// itself when it can (appendjson.go), else by encoding/json.
func Marshal(msg Message) ([]byte, error) {
	return wire.Frame(msg.Kind(), func(out []byte) ([]byte, error) {
		if a, ok := msg.(jsonAppender); ok {
			return a.AppendJSON(out), nil
		}
		if a, ok := msg.(jsonMaybeAppender); ok {
			if b, ok := a.appendJSONIf(out); ok {
				return b, nil
			}
		}
		body, err := json.Marshal(msg)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", msg.Kind(), err)
		}
		return append(out, body...), nil
	})
}

// ErrFrameTooLarge is returned for a length prefix beyond MaxFrame.
var ErrFrameTooLarge = wire.ErrFrameTooLarge

// Decode reads one frame and returns the decoded message.
func Decode(r io.Reader) (Message, error) {
	buf, err := wire.ReadFrame(r)
	if err != nil {
		return nil, err
	}
	return unmarshal(buf)
}

// Unmarshal decodes one whole frame held in b (one SEQPACKET packet).
func Unmarshal(b []byte) (Message, error) {
	return Decode(bytes.NewReader(b))
}

func unmarshal(buf []byte) (Message, error) {
	if msg, ok := unmarshalOurs(buf); ok {
		return msg, nil
	}
	var env envelope
	if err := json.Unmarshal(buf, &env); err != nil {
		return nil, fmt.Errorf("decode frame: %w", err)
	}
	dec, ok := registry()[env.Type]
	if !ok {
		return nil, fmt.Errorf("decode frame: unknown message type %q", env.Type)
	}
	return dec(env.Body)
}

// unmarshalOurs decodes a frame as Marshal writes it, {"type":"KIND",
// "body":BODY}, without decoding the envelope first: one pass over BODY
// where the envelope took two more. Any other frame, or one whose body
// does not decode, is left to the general path (ok false), which decodes
// the same message or reports the error.
func unmarshalOurs(buf []byte) (Message, bool) {
	kind, body, ok := wire.SplitEnvelope(buf)
	if !ok {
		return nil, false
	}
	if fast, ok := fastDecoders[kind]; ok {
		if msg, ok := fast(body); ok {
			return msg, true
		}
	}
	dec, ok := registry()[kind]
	if !ok {
		return nil, false
	}
	msg, err := dec(body)
	return msg, err == nil
}

// decoderFor returns the body decoder for message type T. A body of {}
// is T's zero value (every message is a struct) without encoding/json,
// whose first decode of a type learns its fields by reflection: Ready
// without trace spans, on every start's ready pipe and socketpair.
func decoderFor[T Message]() func(json.RawMessage) (Message, error) {
	return func(body json.RawMessage) (Message, error) {
		var m T
		if len(body) > 0 && string(body) != "{}" {
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, fmt.Errorf("decode %s: %w", m.Kind(), err)
			}
		}
		return m, nil
	}
}

// UnexpectedError reports a message that arrived out of order.
type UnexpectedError struct{ Got, Want string }

func (e *UnexpectedError) Error() string {
	return fmt.Sprintf("unexpected message %q, want %q", e.Got, e.Want)
}

// As converts a decoded message to T. An Error message becomes a *RemoteError;
// any other type is an *UnexpectedError.
func As[T Message](msg Message) (T, error) {
	var zero T
	if m, ok := msg.(T); ok {
		return m, nil
	}
	if e, ok := msg.(Error); ok {
		return zero, &RemoteError{Msg: e.Msg, Hint: e.Hint, Code: e.Code}
	}
	return zero, &UnexpectedError{Got: msg.Kind(), Want: zero.Kind()}
}

// Expect reads one frame from r and requires it to be a T.
func Expect[T Message](r io.Reader) (T, error) {
	msg, err := Decode(r)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("wait for %s: %w", zero.Kind(), err)
	}
	return As[T](msg)
}

// RemoteError is an Error message received from the other side.
type RemoteError struct {
	Msg  string
	Hint string
	Code int
}

func (e *RemoteError) Error() string { return e.Msg }

func errEOF() error { return io.EOF }
