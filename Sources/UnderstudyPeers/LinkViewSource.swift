import UnderstudyCore

/// What the follower needs of the heartbeats: how each link to the holder is doing, to choose its path.
package protocol LinkViewSource: Sendable {
    func linkViews(of peer: String) -> [String: MirrorRoute.LinkView]
}
