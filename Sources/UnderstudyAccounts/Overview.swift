// UnderstudyAccounts: who may use the console and the API.
//
// Core's `UserDirectory` is the pure model (users with roles and password hashes, API tokens with a role, an expiry
// and revocation, a revision); `AccountStore` keeps it in the node's state database, hashes passwords with bcrypt
// (cost 12, from hummingbird-auth), mints tokens from the system's random source and checks credentials. Every
// change makes a new revision of the whole directory, so that a node that meets a newer one (from its peer) can
// take it whole and the cluster keeps one set of users.
//
// Token format: `ust_ID_SECRET`, where ID (8 hex digits) names the token in lists and SECRET (32 random bytes,
// base64url) is shown once at creation; only its SHA-256 digest is stored, and it is compared in constant time.
