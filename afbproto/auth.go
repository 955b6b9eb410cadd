package afbproto

import "sync/atomic"

// NewAuthAPI returns the "auth" API, upstream's AuthLogin sample with the
// V6-2019 (binding API v3) session flags (spec §3.5):
//
//	ping     no flags          {"count":n}, n counts the pings from 0
//	connect  Refresh           LOA <- 1, stores a session context; {"token":"A New Token and Session Context Was Created"}
//	refresh  LOA1|Refresh      {"token":"Token was refreshed"}
//	check    LOA1              {"isvalid":true}
//	logout   LOA1|Close        {"info":"Token and all resources are released"}; then LOA <- 0
//
// connect and refresh return the new token in request.token (and the
// 4th element of a WebSocket reply). None of the verbs takes arguments.
// Mount a fresh value per Binder.
func NewAuthAPI() API {
	var pings atomic.Int64
	return API{
		Name: "auth",
		Info: "session and token sample (AuthLogin)",
		Verbs: []Verb{
			{Name: "ping", Info: "count the pings", Handler: func(r *Request) {
				r.Reply(map[string]int64{"count": pings.Add(1) - 1}, "")
			}},
			{Name: "connect", Info: "open the session: LOA 1 and a new token", Session: SessionRefresh, Handler: func(r *Request) {
				if err := r.SetLOA(1); err != nil {
					r.Fail(StatusFailed, err.Error())
					return
				}
				r.SetSessionData("connected")
				r.Reply(map[string]string{"token": "A New Token and Session Context Was Created"}, "")
			}},
			{Name: "refresh", Info: "issue a new token", Session: SessionLOA1 | SessionRefresh, Handler: func(r *Request) {
				r.Reply(map[string]string{"token": "Token was refreshed"}, "")
			}},
			{Name: "check", Info: "check the token and LOA", Session: SessionLOA1, Handler: func(r *Request) {
				r.Reply(map[string]bool{"isvalid": true}, "")
			}},
			{Name: "logout", Info: "close the session: LOA 0", Session: SessionLOA1 | SessionClose, Handler: func(r *Request) {
				r.Reply(map[string]string{"info": "Token and all resources are released"}, "")
			}},
		},
	}
}
