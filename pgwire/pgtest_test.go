package pgwire

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TestPGTest runs the wire scripts in testdata/pgtest against a fresh
// server per file (run with -rewrite to regenerate the expectations).
// Commands, in the style of CockroachDB's pgtest:
//
//	connect [startup] [user=U]
//	                   open a new raw connection (and, with startup, run
//	                   the startup as user U, by default "tester",
//	                   discarding output; user "noprep" gets a session
//	                   without the extended protocol)
//	send               send the frontend messages listed one per line as
//	                   "Type {json fields}"
//	sendraw            send the hex bytes given as input
//	recvbyte           read one byte (the answer to SSLRequest and
//	                   GSSENCRequest)
//	until [ignore=T,…] read backend messages until each listed type has
//	                   been seen in order, printing them as JSON
//	closed             read until the server closes the connection,
//	                   printing any ErrorResponse first
func TestPGTest(t *testing.T) {
	datadriven.Walk(t, "testdata/pgtest", func(t *testing.T, path string) {
		ts := startServer(t)
		var f *frontend
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd != "connect" && f == nil {
				d.Fatalf(t, "%s before connect", d.Cmd)
			}
			switch d.Cmd {
			case "connect":
				f = rawConn(t, ts)
				if d.HasArg("startup") {
					user := "tester"
					if d.HasArg("user") {
						d.ScanArgs(t, "user", &user)
					}
					f.startup(t, user)
				}
				return ""
			case "send":
				for _, line := range strings.Split(d.Input, "\n") {
					f.fe.Send(parseFrontend(t, d, line))
				}
				if err := f.fe.Flush(); err != nil {
					d.Fatalf(t, "send: %v", err)
				}
				return ""
			case "sendraw":
				b, err := hex.DecodeString(strings.Join(strings.Fields(d.Input), ""))
				if err != nil {
					d.Fatalf(t, "sendraw: %v", err)
				}
				if _, err := f.nc.Write(b); err != nil {
					d.Fatalf(t, "sendraw: %v", err)
				}
				return ""
			case "recvbyte":
				var b [1]byte
				if _, err := io.ReadFull(f.nc, b[:]); err != nil {
					d.Fatalf(t, "recvbyte: %v", err)
				}
				return string(b[:]) + "\n"
			case "until":
				return f.until(t, d)
			case "closed":
				var sb strings.Builder
				if e := f.expectClosed(t); e != nil {
					sb.WriteString(messageJSON(t, e))
				}
				sb.WriteString("closed\n")
				return sb.String()
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	})
}

func (f *frontend) until(t *testing.T, d *datadriven.TestData) string {
	ignore := map[string]bool{}
	for _, arg := range d.CmdArgs {
		if arg.Key == "ignore" {
			for _, v := range arg.Vals {
				ignore[v] = true
			}
		}
	}
	var sb strings.Builder
	for _, want := range strings.Split(d.Input, "\n") {
		for {
			msg, err := f.fe.Receive()
			if err != nil {
				d.Fatalf(t, "waiting for %s: %v (so far:\n%s)", want, err, sb.String())
			}
			name := strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
			if !ignore[name] {
				sb.WriteString(messageJSON(t, msg))
			}
			if name == want {
				break
			}
		}
	}
	return sb.String()
}

// messageJSON renders a backend message as one line of JSON, keeping
// only the stable fields of errors and notices and hiding the random
// cancel key.
func messageJSON(t *testing.T, msg pgproto3.BackendMessage) string {
	var v any = msg
	switch m := msg.(type) {
	case *pgproto3.ErrorResponse:
		v = errorJSON("ErrorResponse", m)
	case *pgproto3.NoticeResponse:
		v = errorJSON("NoticeResponse", (*pgproto3.ErrorResponse)(m))
	case *pgproto3.BackendKeyData:
		v = struct{ Type string }{"BackendKeyData"}
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func errorJSON(typ string, e *pgproto3.ErrorResponse) any {
	return struct {
		Type     string
		Severity string
		Code     string
		Message  string
		Detail   string `json:",omitempty"`
		Hint     string `json:",omitempty"`
		Position int32  `json:",omitempty"`
	}{typ, e.Severity, e.Code, e.Message, e.Detail, e.Hint, e.Position}
}

// parseFrontend turns "Type {json}" into a frontend message.
func parseFrontend(t *testing.T, d *datadriven.TestData, line string) pgproto3.FrontendMessage {
	typ, js, _ := strings.Cut(strings.TrimSpace(line), " ")
	var msg pgproto3.FrontendMessage
	switch typ {
	case "StartupMessage":
		msg = &pgproto3.StartupMessage{}
	case "SSLRequest":
		msg = &pgproto3.SSLRequest{}
	case "GSSEncRequest":
		msg = &pgproto3.GSSEncRequest{}
	case "Query":
		msg = &pgproto3.Query{}
	case "Parse":
		msg = &pgproto3.Parse{}
	case "Bind":
		msg = &pgproto3.Bind{}
	case "Describe":
		msg = &pgproto3.Describe{}
	case "Execute":
		msg = &pgproto3.Execute{}
	case "Close":
		msg = &pgproto3.Close{}
	case "Sync":
		msg = &pgproto3.Sync{}
	case "Flush":
		msg = &pgproto3.Flush{}
	case "Terminate":
		msg = &pgproto3.Terminate{}
	case "CopyData":
		msg = &pgproto3.CopyData{}
	case "CopyDone":
		msg = &pgproto3.CopyDone{}
	case "CopyFail":
		msg = &pgproto3.CopyFail{}
	case "FunctionCall":
		msg = &pgproto3.FunctionCall{}
	case "PasswordMessage":
		msg = &pgproto3.PasswordMessage{}
	default:
		d.Fatalf(t, "unknown frontend message %q", typ)
	}
	if js != "" {
		if err := json.Unmarshal([]byte(js), msg); err != nil {
			d.Fatalf(t, "%s: %v", line, err)
		}
	}
	return msg
}
