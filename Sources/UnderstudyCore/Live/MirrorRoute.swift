/// Which network path the mirror of a group takes to the node that serves it, when the two nodes have several
/// (a dedicated cable and the LAN, say). Pure: the caller says how the links are (their heartbeats' verdict) and
/// what time it is; the route answers where to connect, and whether to move.
///
/// The paths are the serving node's `address` first, then its address on each link both nodes have, in the order the
/// following node lists its links, leaving out links marked `mirror = false` on either node. A connection goes over the
/// first path whose link is not known to be down; after a failed attempt the next one is tried. While connected, the
/// route says to leave a path whose link went down (a cut cable leaves a TCP connection hanging silently), and to go
/// back to a preferred path once its link has been up for `settle` seconds (not at its first heartbeat: a flapping
/// cable would move the mirror back and forth).
public struct MirrorRoute: Sendable, Equatable {
    public struct Path: Sendable, Hashable, CustomStringConvertible {
        /// The link the path runs over (nil: the address is on no configured link; heartbeats say nothing of it).
        public var link: String?
        public var host: String
        public var port: Int

        public init(link: String?, host: String, port: Int) {
            self.link = link
            self.host = host
            self.port = port
        }

        /// "link dedicated (10.0.0.1:7700)", or "10.0.0.1:7700".
        public var description: String {
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            return link.map { "link \($0) (\(address))" } ?? address
        }
    }

    /// What the heartbeats say of one link.
    public struct LinkView: Sendable, Equatable {
        public var state: LinkLiveness.State
        /// Since when it has been up (nil: not up).
        public var upSince: Double?

        public init(state: LinkLiveness.State, upSince: Double? = nil) {
            self.state = state
            self.upSince = upSince
        }
    }

    public enum Advice: Sendable, Equatable {
        case stay
        /// The current path's link is down: drop the connection and take the next path.
        case leave(reason: String)
        /// A preferred path is usable again: move to it.
        case moveBack(to: Path)
    }

    public let paths: [Path]
    public let settle: Double
    /// The path of the connection now (nil: none).
    public private(set) var current: Path?
    private var tried: Path?
    private var failed: Set<Path> = []

    public init(paths: [Path], settle: Double) {
        precondition(!paths.isEmpty, "a mirror needs at least one path")
        self.paths = paths
        self.settle = settle
    }

    /// The paths from `local` to `peer`: `peer.address` first, then `peer`'s address on each common link in `local`'s
    /// order, with `peer.address`'s port; links marked `mirror = false` on either node are left out.
    public static func paths(from local: NodeConfiguration, to peer: NodeConfiguration) -> [Path] {
        let common = local.commonLinks(with: peer)
        let port = peer.address.port
        var paths = [
            Path(
                link: common.first { $0.remote.address == peer.address.host }?.local.name, host: peer.address.host,
                port: port)
        ]
        for (mine, theirs) in common where mine.mirror && theirs.mirror && theirs.address != peer.address.host {
            paths.append(Path(link: mine.name, host: theirs.address, port: port))
        }
        if let first = paths.first, let link = first.link,
            common.contains(where: { $0.local.name == link && (!$0.local.mirror || !$0.remote.mirror) }),
            paths.count > 1
        {
            // The address itself is on a link kept from the mirror: the other links come first, the address last.
            paths.append(paths.removeFirst())
        }
        return paths
    }

    /// Where to connect now: the most preferred path whose link is not known to be down and that has not failed
    /// since the last connection; when every path failed, the round starts again.
    public mutating func next(links: [String: LinkView]) -> Path {
        func usable(_ path: Path) -> Bool { path.link.map { links[$0]?.state != .down } ?? true }
        let candidates = paths.filter { usable($0) && !failed.contains($0) }
        if let chosen = candidates.first {
            tried = chosen
            return chosen
        }
        failed.removeAll()
        let chosen =
            paths.first(where: usable) ?? paths[(paths.firstIndex { $0 == tried }.map { $0 + 1 } ?? 0) % paths.count]
        tried = chosen
        return chosen
    }

    /// Whether a path of this round is still to be tried (not failed since the last connection, link not down).
    public func hasUntriedPath(links: [String: LinkView]) -> Bool {
        paths.contains { path in !failed.contains(path) && (path.link.map { links[$0]?.state != .down } ?? true) }
    }

    /// The attempt on the path `next` gave failed.
    public mutating func attemptFailed() {
        if let tried { failed.insert(tried) }
        current = nil
    }

    /// The attempt on the path `next` gave succeeded.
    public mutating func connected() {
        current = tried
        failed.removeAll()
    }

    public mutating func disconnected() {
        current = nil
    }

    /// While connected: whether to stay on the current path.
    public func advice(links: [String: LinkView], now: Double) -> Advice {
        guard let current, let index = paths.firstIndex(of: current) else { return .stay }
        // Leave a dead path only for another that may work: with every link down, moving would only loop.
        if let link = current.link, links[link]?.state == .down,
            paths.contains(where: { $0 != current && ($0.link.map { links[$0]?.state != .down } ?? true) })
        {
            return .leave(reason: "link \(link) is down")
        }
        for better in paths[..<index] {
            guard let link = better.link, let view = links[link], view.state == .up, let since = view.upSince,
                now - since >= settle
            else { continue }
            return .moveBack(to: better)
        }
        return .stay
    }
}
