import UnderstudyCore
import UnderstudyReplication

extension FailoverService {
    /// An agentless group's scan that was applying what it read when the takeover came holds its share's gate until
    /// it ended: the takeover waits for it (the base it records and the services it starts then see the replica as the
    /// scan left it), at most `seconds`. A scan blocked on a dead mount holds the gate for as long as the mount
    /// hangs; it can apply nothing more (it asks for the ownership before each step and before its last flush), so
    /// the takeover goes on without it.
    static func waitForScans(of group: GroupConfiguration, runtime: any FailoverNode, atMost seconds: Double) async {
        let gates = group.shares.compactMap { runtime.shares[group: group.name, share: $0.name]?.replicaGate }
        let (passed, pass) = AsyncStream.makeStream(of: Void.self)
        // Not cancellable once waiting: each ends when its gate is free, and lets it go at once.
        Task {
            for gate in gates {
                await gate.acquire()
                gate.release()
            }
            pass.finish()
        }
        let inTime = await withTaskGroup(of: Bool.self) { race in
            race.addTask {
                for await _ in passed {}
                return true
            }
            race.addTask {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                return false
            }
            let first = await race.next() ?? false
            race.cancelAll()
            return first
        }
        if !inTime {
            runtime.logger.notice(
                "group \(group.name): a scan of \(group.primary)'s mounts is still blocked on its mount; it applies nothing more"
            )
        }
    }
}
