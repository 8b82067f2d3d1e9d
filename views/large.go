package views

import (
	"net/url"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/lambdadeck/lambdadeck"
)

// HeadBytes is how much of a large event, response or log a page shows;
// the rest is one click away ("Show all", "Download"), streamed from the
// store, so a page costs the same however large the invocation is.
const HeadBytes = 256 * 1024

// PartSizes are the whole sizes in bytes of an invocation's event,
// response and log, when the invocation shown holds only their heads.
type PartSizes struct {
	Event, Payload, Logs int
}

// SizesOf is the sizes of an invocation that holds its parts whole.
func SizesOf(inv lambdadeck.Invocation) PartSizes {
	return PartSizes{Event: len(inv.Event), Payload: len(inv.Payload), Logs: len(inv.Logs)}
}

// headOf cuts b to at most HeadBytes without splitting a UTF-8 character;
// cut says whether anything was left out (of a whole of total bytes).
func headOf(b []byte, total int) (head []byte, cut bool) {
	if len(b) > HeadBytes {
		b = b[:HeadBytes]
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b[len(b)-min(len(b), utf8.UTFMax):]); i++ {
			b = b[:len(b)-1]
		}
	}
	return b, total > len(b)
}

// eventView is an event for display: pretty JSON when whole, its raw head
// when large.
type eventView struct {
	Text  string
	Cut   bool
	Total int
}

func viewEvent(event []byte, total int) eventView {
	head, cut := headOf(event, max(total, len(event)))
	if cut {
		return eventView{Text: string(head), Cut: true, Total: max(total, len(event))}
	}
	return eventView{Text: prettyOrRaw(event), Total: len(event)}
}

// cutPayload is a response for display, which may be only its head.
type cutPayload struct {
	payloadView
	Cut bool // only the first HeadBytes are shown; Size is the whole
}

// viewPayloadOf is viewPayload for a response of total bytes of which b
// may hold only the head: a large one shows its first HeadBytes as they
// are (no pretty-printing of a part).
func viewPayloadOf(b []byte, total int) cutPayload {
	total = max(total, len(b))
	head, cut := headOf(b, total)
	if !cut {
		return cutPayload{payloadView: viewPayload(b)}
	}
	if !utf8.Valid(head) {
		v := viewPayload(head)
		v.Size = total
		return cutPayload{payloadView: v, Cut: true}
	}
	return cutPayload{payloadView: payloadView{Kind: "text", Text: string(head), Size: total}, Cut: true}
}

// logsView is a log for display, cut to its head when large.
func logsView(logs string, total int) (string, bool) {
	head, cut := headOf([]byte(logs), max(total, len(logs)))
	if !cut {
		return logs, false
	}
	return string(head), true
}

// partURL is where one part of an invocation is shown whole (as plain
// text) or, with download, saved as a file.
func partURL(requestID, part string, download bool) templ.SafeURL {
	u := "/invocations/" + url.PathEscape(requestID) + "/" + part
	if download {
		u += "?download=1"
	}
	return templ.SafeURL(u)
}

// runAgainURL re-runs an invocation whose event is too large to carry in
// the page's form: the server takes it from the store.
func runAgainURL(requestID string) templ.SafeURL {
	return templ.SafeURL("/invocations/" + url.PathEscape(requestID) + "/run")
}

// streamedBytes is the size of a streamed response, from its chunks.
func streamedBytes(chunks []lambdadeck.Chunk) int {
	n := 0
	for _, c := range chunks {
		n += c.Size
	}
	return n
}
