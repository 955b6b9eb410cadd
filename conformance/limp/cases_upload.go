package limpsuite

import (
	"context"
	"strconv"
	"strings"

	"github.com/appwire/appwire/conformance"
)

// chunkDoc is the doc of one file/upload call as the Angular SDK sends it
// (index a string, chunk and total numbers, content decimal bytes).
func chunkDoc(attr, index string, chunk, total int, data []byte, size int) map[string]any {
	parts := make([]string, len(data))
	for i, b := range data {
		parts[i] = strconv.Itoa(int(b))
	}
	return map[string]any{
		"attr": attr, "index": index, "chunk": chunk, "total": total,
		"file": map[string]any{
			"name": "f.bin", "size": size, "type": "application/octet-stream",
			"lastModified": 1700000000000, "content": strings.Join(parts, ","),
		},
	}
}

// uploadCases: section 7.
func uploadCases() []conformance.Case {
	return []conformance.Case{
		{
			ID: "limp/7/1", Level: must,
			Title:       `two chunks are answered "Chunk accepted", then "Last chunk accepted"`,
			Requirement: `Each chunk is answered 200 "Chunk accepted", the one with chunk == total 200 "Last chunk accepted"; index comes as a string.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("file/upload", nil, chunkDoc("files", "0", 1, 2, []byte{0, 1, 2}, 5))
				if r.Status != 200 || r.Msg != "Chunk accepted" {
					t.Failf(`200 "Chunk accepted"`, "%s", r.brief())
				}
				r = c.call("file/upload", nil, chunkDoc("files", "0", 2, 2, []byte{254, 255}, 5))
				if r.Status != 200 || r.Msg != "Last chunk accepted" {
					t.Failf(`200 "Last chunk accepted"`, "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/7/2", Level: must,
			Title:       "the real call after the chunks receives the assembled file",
			Requirement: "After the chunks, the call with doc[attr] present gets the assembled files in doc[attr].",
			Run: func(ctx context.Context, t *conformance.T) {
				ep := param(t, ParamUploadEndpoint)
				if ep == "" {
					t.Skipf("no %s parameter", ParamUploadEndpoint)
				}
				c := verified(ctx, t)
				data := make([]byte, 3000)
				for i := range data {
					data[i] = byte(i)
				}
				for n := 1; n <= 3; n++ {
					r := c.call("file/upload", nil, chunkDoc("files", "0", n, 3, data[(n-1)*1000:n*1000], len(data)))
					c.expect(r, 200, "")
				}
				r := c.call(ep, nil, map[string]any{"files": []any{map[string]any{}}})
				c.expect(r, 200, "")
				docs := r.docs()
				if len(docs) != 1 {
					t.Failf("one doc", "%s", r.brief())
				}
				files, _ := docs[0]["files"].([]any)
				f, _ := func() (map[string]any, bool) {
					if len(files) != 1 {
						return nil, false
					}
					m, ok := files[0].(map[string]any)
					return m, ok
				}()
				if f == nil || f["size"] != 3000.0 || f["name"] != "f.bin" {
					t.Failf("docs[0].files[0] of size 3000 named f.bin", "%s", r.brief())
				}
			},
		},
	}
}
