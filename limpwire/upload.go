package limpwire

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// DefaultChunkSize is the Angular SDK's upload chunk: 500 KiB.
const DefaultChunkSize = 512000

// upload is one file being assembled on a connection.
type upload struct {
	name, typ    string
	size         float64
	lastModified any
	content      []byte
	next, total  int // next chunk expected; chunks announced
}

// upload handles one file/upload call (docs/protocols/limp.md section 7).
// 6.0 answers a malformed chunk with a bare 500; this server answers
// 400 CORE_FILE_INVALID_UPLOAD with the call_id, and holds at most
// Options.MaxUploadBytes of file content per connection.
func (c *conn) upload(call *Call) {
	id := call.CallID
	bad := func(what string) { c.sendErr(ErrInvalidUpload.WithMsg("File upload is invalid: "+what+"."), id) }
	d := call.Doc
	attr, ok := d["attr"].(string)
	if !ok || attr == "" {
		bad("attr is not a string")
		return
	}
	var index string
	switch v := d["index"].(type) {
	case string: // what the Angular SDK sends
		index = v
	case float64:
		index = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		bad("index is not a string or a number")
		return
	}
	chunk, ok1 := wholeNumber(d["chunk"])
	total, ok2 := wholeNumber(d["total"])
	if !ok1 || !ok2 || chunk < 1 || total < 1 || chunk > total {
		bad("chunk and total must be whole numbers with 1 <= chunk <= total")
		return
	}
	file, ok := d["file"].(map[string]any)
	if !ok {
		bad("file is not an object")
		return
	}
	content, ok := file["content"].(string)
	if !ok {
		bad("file.content is not a string")
		return
	}
	data, err := decodeContent(content)
	if err != nil {
		bad("file.content is not comma-separated bytes")
		return
	}

	if e := c.addChunk(attr, index, chunk, total, file, data); e != nil {
		c.sendErr(e, id)
		return
	}
	msg := "Chunk accepted"
	if chunk == total {
		msg = "Last chunk accepted"
	}
	c.send(&Reply{Status: 200, Msg: msg, Args: map[string]any{"call_id": id}})
}

// addChunk stores one chunk's bytes.
func (c *conn) addChunk(attr, index string, chunk, total int, file map[string]any, data []byte) *Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	files := c.files[attr]
	up := files[index]
	if chunk == 1 {
		if up != nil {
			c.uploadBytes -= int64(len(up.content))
			delete(files, index)
		}
		name, _ := file["name"].(string)
		typ, _ := file["type"].(string)
		size, _ := file["size"].(float64)
		up = &upload{name: name, typ: typ, size: size, lastModified: file["lastModified"], total: total, next: 1}
	} else if up == nil || up.next != chunk || up.total != total {
		return ErrInvalidUpload.WithMsg("File upload is invalid: chunk " + strconv.Itoa(chunk) + " does not follow the chunks received.")
	}
	if c.uploadBytes+int64(len(data)) > c.s.opts.MaxUploadBytes {
		if files[index] != nil {
			c.uploadBytes -= int64(len(files[index].content))
			delete(files, index)
		}
		return ErrUploadLimit
	}
	up.content = append(up.content, data...)
	up.next++
	c.uploadBytes += int64(len(data))
	if files == nil {
		files = map[string]*upload{}
		c.files[attr] = files
	}
	files[index] = up
	return nil
}

// assemble replaces, in a call's doc, each attribute that has uploaded
// files by the list of those files, and forgets them.
func (c *conn) assemble(doc Doc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for attr, files := range c.files {
		if _, ok := doc[attr]; !ok {
			continue
		}
		idx := make([]string, 0, len(files))
		for i := range files {
			idx = append(idx, i)
		}
		slices.SortFunc(idx, func(a, b string) int {
			x, errx := strconv.ParseFloat(a, 64)
			y, erry := strconv.ParseFloat(b, 64)
			if errx == nil && erry == nil && x != y {
				if x < y {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		list := make([]any, 0, len(files))
		for _, i := range idx {
			up := files[i]
			c.uploadBytes -= int64(len(up.content))
			if up.next <= up.total {
				continue // incomplete: dropped
			}
			list = append(list, map[string]any{
				"name": up.name, "type": up.typ, "size": up.size,
				"lastModified": up.lastModified, "content": up.content,
			})
		}
		doc[attr] = list
		delete(c.files, attr)
	}
}

func wholeNumber(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < 0 || f > 1<<31 {
		return 0, false
	}
	return int(f), true
}

// decodeContent parses "0,1,255" (the SDK's chunk encoding) into bytes.
func decodeContent(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]byte, 0, len(s)/3+1)
	n, digits := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if digits == 0 {
				return nil, strconv.ErrSyntax
			}
			out = append(out, byte(n))
			n, digits = 0, 0
			continue
		}
		ch := s[i]
		if ch < '0' || ch > '9' || digits == 3 {
			return nil, strconv.ErrSyntax
		}
		n = n*10 + int(ch-'0')
		digits++
		if n > 255 {
			return nil, strconv.ErrSyntax
		}
	}
	return out, nil
}

// EncodeContent writes b as the SDK does: decimal bytes joined by ",".
func EncodeContent(b []byte) string {
	out := make([]byte, 0, len(b)*4)
	for i, x := range b {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendUint(out, uint64(x), 10)
	}
	return string(out)
}
