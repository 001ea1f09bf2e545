/// What the peer sessions need of the console's users and tokens (Accounts' `AccountStore` in the composition
/// root): the document this node holds, and a peer's, taken when it is newer.
package protocol UsersExchange: Sendable {
    /// This node's users and tokens as the document peers exchange, with its revision.
    func offer() -> (revision: UInt64, document: [UInt8])
    /// Takes `document` from `peer` when it is newer than this node's; says whether it did. A document that is not
    /// one is ignored (and logged).
    func take(_ document: [UInt8], from peer: String) -> Bool
}
