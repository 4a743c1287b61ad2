// Package auth holds Baton's identities and roles: who a request comes
// from (a Principal), what each role may do (permissions read, operate,
// edit, admin, worker) and the token secrets that prove an identity.
//
// A token's secret is 256 random bits, shown once ("baton_" + base64url);
// the store keeps only its SHA-256 hash, looked up by hash and compared
// in constant time. Three kinds of token share one table:
//
//	api     a person's or a program's token, with a role
//	join    lets a worker register (role worker, maybe bound to zones/groups)
//	worker  the credential a registration issues, bound to one worker ID
//
// A token is valid while it is not revoked and not expired:
//
//	created ──► valid ──► expired (expires_at passed)
//	              └─────► revoked (revoked_at set; final)
package auth
