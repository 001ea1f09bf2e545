import UnderstudyCore

/// Which directory of the share each inotify watch descriptor stands for, both ways, plus the tree they form.
///
/// The kernel names an event by watch descriptor only, so this map is the sole source of the paths we report:
/// it must follow every rename of a watched directory, including the directories below it. The parent and
/// children links keep work on a subtree (a rename, a delete, a move out) proportional to that subtree, not to
/// the whole share: `rm -rf` of a large directory must not stall the reading thread until the queue overflows.
struct WatchTable {
    private struct Node {
        var path: String
        var parent: Int32?
        var children: Set<Int32> = []
    }

    private var nodes: [Int32: Node] = [:]
    private var watchByPath: [String: Int32] = [:]

    var count: Int { nodes.count }

    func path(of watch: Int32) -> String? { nodes[watch]?.path }

    func watch(at path: String) -> Int32? { watchByPath[path] }

    /// Records a watch whose parent directory (if any) is recorded already, as a top-down walk does.
    /// inotify_add_watch returns the same descriptor for an inode it already watches, so a known descriptor under
    /// a new path is a directory that moved unseen (after an overflow): it moves here with everything below.
    /// Returns the descriptors that stood for a different directory at `path` (stale, also unseen) and were
    /// dropped with what was below them.
    @discardableResult
    mutating func insert(_ watch: Int32, _ path: String) -> [Int32] {
        if nodes[watch]?.path == path { return [] }
        var displaced: [Int32] = []
        if let other = watchByPath[path], other != watch { displaced = forgetTree(path) }
        if let old = nodes[watch]?.path {
            move(old, to: path)
        } else {
            let parent = RelativePath.parent(path).flatMap { watchByPath[$0] }
            nodes[watch] = Node(path: path, parent: parent)
            if let parent { nodes[parent]?.children.insert(watch) }
            watchByPath[path] = watch
        }
        return displaced.filter { nodes[$0] == nil }
    }

    /// Forgets one watch (the kernel dropped it); what was below it stays, detached.
    @discardableResult
    mutating func forget(_ watch: Int32) -> String? {
        guard let node = nodes.removeValue(forKey: watch) else { return nil }
        if watchByPath[node.path] == watch { watchByPath[node.path] = nil }
        if let parent = node.parent { nodes[parent]?.children.remove(watch) }
        for child in node.children { nodes[child]?.parent = nil }
        return node.path
    }

    /// Forgets `path` and every watched directory below it; returns their descriptors.
    mutating func forgetTree(_ path: String) -> [Int32] {
        let watches = watches(within: path)
        for watch in watches.reversed() { forget(watch) }
        return watches
    }

    /// `path`'s watch first, then the ones below it.
    func watches(within path: String) -> [Int32] {
        guard let top = watchByPath[path] else { return [] }
        var result = [top]
        var index = 0
        while index < result.count {
            result.append(contentsOf: nodes[result[index]]?.children ?? [])
            index += 1
        }
        return result
    }

    /// Rewrites the paths of `from` and everything below it to lie below `to` (a directory renamed in the tree).
    mutating func move(_ from: String, to: String) {
        guard !RelativePath.isWithin(to, from), let top = watchByPath[from] else { return }
        if let stale = watchByPath[to], stale != top {
            _ = forgetTree(to)  // a directory renamed over an empty one, which the kernel unwatches itself
        }
        let prefixLength = from.utf8.count
        for watch in watches(within: from) {
            guard let old = nodes[watch]?.path else { continue }
            // Every path here lies below `from`: a "/" or the end follows the prefix, a character boundary.
            let moved = to + old[old.utf8.index(old.startIndex, offsetBy: prefixLength)...]
            if watchByPath[old] == watch { watchByPath[old] = nil }
            nodes[watch]?.path = moved
            watchByPath[moved] = watch
        }
        if let oldParent = nodes[top]?.parent { nodes[oldParent]?.children.remove(top) }
        let newParent = RelativePath.parent(to).flatMap { watchByPath[$0] }
        nodes[top]?.parent = newParent
        if let newParent { nodes[newParent]?.children.insert(top) }
    }
}
