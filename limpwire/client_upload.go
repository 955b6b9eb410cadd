package limpwire

import (
	"context"
	"maps"
	"slices"
	"strconv"
)

// File is one file to upload.
type File struct {
	Name         string
	Type         string // MIME type
	LastModified int64  // milliseconds since the epoch, as browsers give it
	Content      []byte
}

// UploadProgress reports one acknowledged chunk.
type UploadProgress struct {
	Attr         string
	Index        int   // the file's index under Attr
	Chunk, Total int   // 1-based chunk number and chunk count of the file
	Sent, Size   int64 // bytes of the file acknowledged so far, and its size
}

// Upload sends files as the Angular SDK does (docs/protocols/limp.md
// section 7): for each doc attribute (in name order) and each of its
// files, the chunks of ChunkSize bytes as file/upload calls, each
// awaited; then the call itself, with the attribute present in doc so
// that the server puts the assembled files there. progress, when not
// nil, is called after each acknowledged chunk. An empty file is sent
// as one empty chunk (the SDK sends no chunk for it, and the server then
// has no file to put in doc).
func (c *Client) Upload(ctx context.Context, endpoint string, query []any, doc map[string]any, files map[string][]File, progress func(UploadProgress)) (*Reply, error) {
	full := make(map[string]any, len(doc)+len(files))
	for k, v := range doc {
		full[k] = v
	}
	size := c.opts.ChunkSize
	for _, attr := range slices.Sorted(maps.Keys(files)) {
		placeholders := make([]any, len(files[attr]))
		for i, f := range files[attr] {
			placeholders[i] = map[string]any{} // what a browser File serialises to
			total := max(1, (len(f.Content)+size-1)/size)
			for n := 1; n <= total; n++ {
				part := f.Content[min((n-1)*size, len(f.Content)):min(n*size, len(f.Content))]
				chunk := map[string]any{
					"attr": attr, "index": strconv.Itoa(i), "chunk": n, "total": total,
					"file": map[string]any{
						"name": f.Name, "size": len(f.Content), "type": f.Type,
						"lastModified": f.LastModified, "content": EncodeContent(part),
					},
				}
				if _, err := c.Call(ctx, "file/upload", nil, chunk); err != nil {
					return nil, err
				}
				if progress != nil {
					progress(UploadProgress{Attr: attr, Index: i, Chunk: n, Total: total,
						Sent: int64(min(n*size, len(f.Content))), Size: int64(len(f.Content))})
				}
			}
		}
		full[attr] = placeholders
	}
	return c.Call(ctx, endpoint, query, full)
}
