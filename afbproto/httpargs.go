package afbproto

import (
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// httpArgs are the arguments of an HTTP call (spec §1.2): the ordered
// query and form parameters, or a JSON body that replaces them.
type httpArgs struct {
	keys   []string
	vals   []*json.RawMessage // nil: parameter without value (JSON null)
	index  map[string]int     // built once there are many keys
	forms  map[string]string  // string form fields, for session inputs
	query  []queryParam       // raw query parameters, in order
	body   json.RawMessage    // application/json body, replaces the object
	isJSON bool
	files  []string // temporary files to remove after the call
}

// errors mapped to transport-level status codes.
var (
	errMediaType = errors.New("unsupported media type")
	errBadBody   = errors.New("bad request body")
	errTooLarge  = errors.New("request body too large")
)

func (a *httpArgs) set(k string, v *json.RawMessage) {
	if a.index != nil {
		if i, ok := a.index[k]; ok {
			a.vals[i] = v
			return
		}
	} else {
		for i, kk := range a.keys {
			if kk == k {
				a.vals[i] = v
				return
			}
		}
	}
	a.keys = append(a.keys, k)
	a.vals = append(a.vals, v)
	if a.index != nil {
		a.index[k] = len(a.keys) - 1
	} else if len(a.keys) > 16 {
		a.index = make(map[string]int, 2*len(a.keys))
		for i, kk := range a.keys {
			a.index[kk] = i
		}
	}
}

func stringValue(s string) *json.RawMessage {
	raw := json.RawMessage(appendString(nil, s))
	return &raw
}

// parseQuery adds the query parameters in order; a repeated key keeps its
// first position and takes the last value; a key without '=' is null.
func (a *httpArgs) parseQuery(raw string) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, hasValue := strings.Cut(kv, "=")
		k = unescape(k)
		a.query = append(a.query, queryParam{k, unescape(v), !hasValue})
		if hasValue {
			a.set(k, stringValue(unescape(v)))
		} else {
			a.set(k, nil)
		}
	}
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// parseBody reads a POST body by Content-Type (substring match, any case).
func (a *httpArgs) parseBody(r *http.Request, max int64, tmpDir string) error {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	switch {
	case ct == "":
		return nil
	case strings.Contains(ct, "multipart/form-data"):
		return a.parseMultipart(r, max, tmpDir)
	case strings.Contains(ct, "application/json"):
		body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
		switch {
		case err != nil:
			return errBadBody
		case int64(len(body)) > max:
			return errTooLarge
		case !json.Valid(body):
			return errBadBody
		}
		a.body, a.isJSON = body, true
		return nil
	}
	return errMediaType
}

func (a *httpArgs) parseMultipart(r *http.Request, max int64, tmpDir string) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return errBadBody
	}
	lr := &io.LimitedReader{R: r.Body, N: max + 1}
	r.Body = struct {
		io.Reader
		io.Closer
	}{lr, r.Body}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if lr.N <= 0 {
				return errTooLarge
			}
			return errBadBody
		}
		if err := a.addPart(p, lr, tmpDir); err != nil {
			return err
		}
	}
}

func (a *httpArgs) addPart(p *multipart.Part, lr *io.LimitedReader, tmpDir string) error {
	defer p.Close()
	name := p.FormName()
	if p.FileName() == "" {
		v, err := io.ReadAll(p)
		if err != nil {
			if lr.N <= 0 {
				return errTooLarge
			}
			return errBadBody
		}
		if a.forms == nil {
			a.forms = make(map[string]string)
		}
		a.forms[name] = string(v)
		a.set(name, stringValue(string(v)))
		return nil
	}
	f, err := os.CreateTemp(tmpDir, "afb-upload-*")
	if err != nil {
		return err
	}
	a.files = append(a.files, f.Name())
	_, err = io.Copy(f, p)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if lr.N <= 0 {
			return errTooLarge
		}
		return errBadBody
	}
	v := append([]byte(`{"file":`), appendString(nil, p.FileName())...)
	v = append(v, `,"path":`...)
	v = append(appendString(v, f.Name()), '}')
	raw := json.RawMessage(v)
	a.set(name, &raw)
	return nil
}

// object returns the arguments as handed to the verb.
func (a *httpArgs) object() json.RawMessage {
	if a.isJSON {
		return a.body
	}
	n := 2
	for i, k := range a.keys {
		n += len(k) + 4
		if a.vals[i] != nil {
			n += len(*a.vals[i])
		} else {
			n += 4
		}
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range a.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if a.vals[i] != nil {
			b = append(b, *a.vals[i]...)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

// queryParam is one query parameter; null: it had no '='.
type queryParam struct {
	key, val string
	null     bool
}

// httpValues are what afb_req_value reads over HTTP: the form fields, then
// the query parameters, never a JSON body.
type httpValues struct {
	forms map[string]string
	query []queryParam
}

// value looks name up: form field, then query (the last occurrence wins,
// as in the args object); a parameter without '=' has no value.
func (h httpValues) value(name string) (string, bool) {
	if v, ok := h.forms[name]; ok {
		return v, true
	}
	v, ok := "", false
	for _, q := range h.query {
		if q.key == name {
			v, ok = q.val, !q.null
		}
	}
	return v, ok
}

func (a *httpArgs) values() *httpValues {
	return &httpValues{forms: a.forms, query: a.query}
}

// arg looks up a session input argument: form field, then query.
func (a *httpArgs) arg(name string) string {
	v, _ := httpValues{a.forms, a.query}.value(name)
	return v
}

func (a *httpArgs) cleanup() {
	for _, f := range a.files {
		os.Remove(f)
	}
}
