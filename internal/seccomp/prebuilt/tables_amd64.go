package prebuilt

import "golang.org/x/sys/unix"

// The tables in z_amd64.go, assembled at build time.

func defaultProgram() ([]unix.SockFilter, error) { return defaultProg, nil }

func strictProgram() ([]unix.SockFilter, error) { return strictProg, nil }

func notifyProgram() ([]unix.SockFilter, error) { return notifyProg, nil }
