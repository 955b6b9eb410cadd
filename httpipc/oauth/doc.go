// Package oauth is the offline OAuth flow of the HTTP/IPC draft: an app
// authorizes through another app on the same device (RFC 8252 with PKCE),
// then redeems the code and calls the API over IPC instead of the network.
//
// Start here: a client app calls [NewAuthorization], opens
// [Authorization.AuthURL], passes the redirect it receives to
// [Authorization.ParseRedirect], then redeems the code with
// [Authorization.Exchange] over an *http.Client that goes over IPC when
// [Result.IPCService] is set. [NewServer] is a reference
// authorization-and-API app to test against; Example shows the whole flow.
//
// # The flow
//
//  1. NewAuthorization makes a fresh PKCE S256 verifier and a random state.
//  2. The app opens AuthURL. App Links or claimed https URIs route it to the
//     authorization app (or, online, to a browser).
//  3. The authorization app signs the user in and redirects to the
//     client's redirect URI with code, state and ipc-service, the name of
//     its IPC service. Authorized online, there is no ipc-service.
//  4. ParseRedirect checks the state, refuses an ipc-service that is not on
//     Config.AllowedServices, and returns a [Result].
//  5. The app binds that service and gives Exchange an *http.Client whose
//     Transport is the httpipc transport; the code and verifier never touch
//     the network. With no ipc-service it passes a network client.
//  6. The app calls the API with [Token.SetAuthHeader] over the same client.
//
// Switching between IPC and network is only the choice of *http.Client.
//
// # Security rules, and why
//
//   - PKCE S256, always. A native app cannot keep a secret, and the
//     redirect crosses an inter-app channel any app may claim (RFC 8252
//     §8.1). The client always sends S256; the server requires it and
//     refuses "plain" and a missing challenge (RFC 7636 §4.4.1).
//   - State, always. ParseRedirect compares it in constant time before it
//     believes anything else in the redirect, error responses included, so
//     a forged redirect cannot start a flow the app never began.
//   - The ipc-service allow-list. The ipc-service value comes from whoever
//     delivered the redirect. An app that intercepts it could name its own
//     service and receive the code, the verifier and every API call
//     (httpipc spec §3.7). So the name must equal, byte for byte, an entry
//     of Config.AllowedServices: no case folding, trimming or Unicode
//     normalisation. Empty allow-list: offline authorization is refused.
//     Binding must also check the service's package signature, which is
//     the transport's job.
//   - One name only. The draft once spells the parameter "ipc-server";
//     ParseRedirect accepts it as an alias, but a redirect carrying both
//     names, or either twice, is refused, so no check can look at one
//     value while the binding uses another.
//   - Issuer. With Config.Issuer set, the redirect's iss must match (RFC
//     9207), against mix-up between authorization servers.
//   - Exchange never follows redirects, so the verifier goes only to
//     Config.TokenEndpoint, and reads at most Config.MaxResponseBytes.
//
// # Reference server
//
// [Server] serves /authorize, /token, a Bearer-protected /api (/api/me and
// a small notes resource) and, with an Issuer, RFC 8414 metadata. Codes
// live 60 s, are single-use and bound to client_id, redirect_uri and the
// code challenge; a replayed code revokes the token issued for it. Codes,
// tokens and notes are capped. The server's login and consent are demo
// stand-ins (AutoApprove, or login/approve parameters) that authenticate
// nobody; a real authorization app puts its own sign-in in their place.
//
// # Caveats
//
//   - Public clients only: no client secrets, no refresh tokens.
//   - The store is in memory; a restart forgets every code and token.
//   - Loopback redirect URIs (http://127.0.0.1/...) match any port, as RFC
//     8252 §7.3 requires; "localhost" gets no such leeway.
package oauth
