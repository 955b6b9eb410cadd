package loopapi_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/loopapitest"
)

func TestRooms(t *testing.T) {
	sk := newSink(t)
	srv := loopapitest.Start(t, loopapi.Options{})
	ctx := testserver.Ctx(t)
	owner, tok := session(t, srv.URL, map[string]string{loopapi.TopicRooms: sk.URL})
	post := func(body string) answer {
		return do(t, srv.URL, raw{method: "POST", path: "/rooms", body: body, token: tok})
	}
	wantErr(t, post(`{"roomName":"x"}`), 400, loopapi.ErrnoMissingParameters, "Missing: roomOwner")
	wantErr(t, post(`{"roomOwner":"Bob"}`), 400, loopapi.ErrnoMissingParameters, "Missing: roomName")
	wantErr(t, post(`{"roomOwner":"Bob","roomName":"x","maxSize":6}`), 400, loopapi.ErrnoInvalidParameters, "")
	wantErr(t, post(`{"roomOwner":"Bob","roomName":"`+strings.Repeat("n", 101)+`"}`), 400, loopapi.ErrnoInvalidParameters, "")
	a := post(`{"roomOwner":"Bob","roomName":"standup","maxSize":2,"expiresIn":2}`)
	var made loopapi.RoomCreated
	if a.status != 201 || json.Unmarshal(a.body, &made) != nil || len(made.RoomToken) != 11 || made.RoomURL != "http://localhost:3000/"+made.RoomToken {
		t.Fatalf("POST /rooms %d %s", a.status, a.body)
	}
	if put := sk.wait(t); !strings.Contains(put, "version=") {
		t.Fatalf("rooms push %q", put)
	}
	// The owner joins with Hawk; a link clicker joins with no credentials
	// and gets a Basic token; a third is refused: the room holds 2.
	if _, err := owner.JoinRoom(ctx, made.RoomToken, "Bob", 5); err != nil {
		t.Fatal(err)
	}
	guest, _ := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
	joined, err := guest.JoinRoom(ctx, made.RoomToken, "Alice", 5)
	if err != nil || joined.ParticipantToken == "" || joined.SessionToken == "" || joined.Expires != 300 {
		t.Fatalf("guest join %+v %v", joined, err)
	}
	third, _ := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
	if _, err := third.JoinRoom(ctx, made.RoomToken, "Carol", 5); !errors.Is(err, loopapi.ErrnoRoomFull) {
		t.Fatalf("third participant: %v", err)
	}
	info, err := guest.Room(ctx, made.RoomToken) // with the Basic participant token
	owners := map[string]bool{}
	for _, p := range info.Participants {
		owners[p.DisplayName] = p.Owner
	}
	if err != nil || len(info.Participants) != 2 || info.RoomName != "standup" || !owners["Bob"] || owners["Alice"] || info.ClientMaxSize != 2 {
		t.Fatalf("room as guest %+v %v", info, err)
	}
	stranger, stok := session(t, srv.URL, nil)
	wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/rooms/" + made.RoomToken, token: stok}), 403, loopapi.ErrnoUndefined, "")
	wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/rooms/" + made.RoomToken, header: map[string]string{"Authorization": "Basic bm9wZTo="}}), 401, loopapi.ErrnoInvalidAuthToken, "")
	wantErr(t, do(t, srv.URL, raw{method: "DELETE", path: "/rooms/" + made.RoomToken, token: stok}), 403, loopapi.ErrnoUndefined, "")
	wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/rooms/AAAAAAAAAAA", token: stok}), 404, loopapi.ErrnoInvalidToken, "")
	if _, err := stranger.RefreshRoom(ctx, made.RoomToken); !errors.Is(err, loopapi.ErrnoNotRoomParticipant) {
		t.Fatalf("refresh by a stranger: %v", err)
	}
	if _, err := guest.RefreshRoom(ctx, made.RoomToken); err != nil {
		t.Fatal(err)
	}
	if err := guest.LeaveRoom(ctx, made.RoomToken); err != nil {
		t.Fatal(err)
	}
	// A client that can show only one participant cannot join a room
	// where someone already is.
	if _, err := third.JoinRoom(ctx, made.RoomToken, "Carol", 1); !errors.Is(err, loopapi.ErrnoClientReachedCapacity) {
		t.Fatalf("join beyond the client's capacity: %v", err)
	}
	if _, err := third.JoinRoom(ctx, made.RoomToken, "Carol", 5); err != nil {
		t.Fatalf("join after a leave: %v", err)
	}
	before := time.Now().Unix()
	if _, err := owner.UpdateRoom(ctx, made.RoomToken, loopapi.RoomRequest{RoomName: "retro"}); err != nil {
		t.Fatal(err)
	}
	list, err := owner.Rooms(ctx, before)
	if err != nil || len(list) != 1 || list[0].RoomName != "retro" || len(list[0].Participants) != 2 {
		t.Fatalf("rooms %+v %v", list, err)
	}
	if err := owner.DeleteRoom(ctx, made.RoomToken); err != nil {
		t.Fatal(err)
	}
	list, _ = owner.Rooms(ctx, before)
	if len(list) != 1 || !list[0].Deleted || list[0].RoomToken != made.RoomToken {
		t.Fatalf("deleted room listing %+v", list)
	}
	if _, err := guest.Room(ctx, made.RoomToken); !errors.Is(err, loopapi.ErrnoInvalidToken) {
		t.Fatalf("deleted room: %v", err)
	}
}

func TestRoomParticipantExpiry(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{ParticipantTTL: 200 * time.Millisecond})
	ctx := testserver.Ctx(t)
	owner, _ := session(t, srv.URL, nil)
	made, err := owner.CreateRoom(ctx, loopapi.RoomRequest{RoomName: "r", RoomOwner: "o", MaxSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		c, _ := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
		if _, err := c.JoinRoom(ctx, made.RoomToken, name, 2); err != nil {
			t.Fatal(err)
		}
	}
	late, _ := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := late.JoinRoom(ctx, made.RoomToken, "late", 2)
		if err == nil {
			break
		}
		if !errors.Is(err, loopapi.ErrnoRoomFull) && !errors.Is(err, loopapi.ErrnoClientReachedCapacity) || time.Now().After(deadline) {
			t.Fatalf("join once the others expired: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDeleteRooms(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{})
	ctx := testserver.Ctx(t)
	owner, _ := session(t, srv.URL, nil)
	other, _ := session(t, srv.URL, nil)
	mine, err := owner.CreateRoom(ctx, loopapi.RoomRequest{RoomName: "a", RoomOwner: "o"})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := other.CreateRoom(ctx, loopapi.RoomRequest{RoomName: "b", RoomOwner: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.JoinRoom(ctx, mine.RoomToken, "o", 5); err != nil {
		t.Fatal(err)
	}
	if err := owner.RoomStatus(ctx, mine.RoomToken); err != nil {
		t.Fatal(err)
	}
	if err := other.RoomStatus(ctx, mine.RoomToken); !errors.Is(err, loopapi.ErrnoNotRoomParticipant) {
		t.Fatalf("status from a non-participant: %v", err)
	}
	res, err := owner.DeleteRooms(ctx, []string{mine.RoomToken, theirs.RoomToken, "AAAAAAAAAAA"})
	if err != nil {
		t.Fatal(err)
	}
	if res[mine.RoomToken].Code != 200 || res[theirs.RoomToken].Code != 403 || res["AAAAAAAAAAA"].Errno != loopapi.ErrnoInvalidToken {
		t.Fatalf("PATCH /rooms: %+v", res)
	}
	if _, err := other.Room(ctx, theirs.RoomToken); err != nil {
		t.Fatalf("a room of someone else was deleted: %v", err)
	}
	if err := owner.LBHeartbeat(ctx); err != nil {
		t.Fatal(err)
	}
}
