#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudySupport

/// The service addresses this node holds, and the two things that make them die with the daemon: the guardian
/// process (at once, when the daemon ends) and a kernel lifetime the daemon renews (when the guardian is gone too, or
/// the daemon is frozen). An address the kernel dropped because it was not renewed in time is reported (`lapsed`):
/// the node cannot tell whether its peer took over meanwhile, so its machine gives the group up until it hears the peer.
final class AddressHoldings: Sendable {
    struct Holding: Hashable, Sendable {
        var group: String
        var address: ServiceAddress
        var interface: String
    }

    /// Seconds the kernel keeps an address not renewed: twice the dead time, at least 2 (the kernel counts whole
    /// seconds). Renewed four times per lifetime.
    static func lifetime(deadTime: Double) -> UInt32 {
        UInt32(min(3600, max(2, (deadTime * 2).rounded(.up))))
    }

    let lifetime: UInt32
    let guardian: AddressGuardian?
    let logger: Logger
    private let held = NIOLockedValueBox<Set<Holding>>([])
    /// Serializes every change of a held address (add, renew, remove): a renewal that looked and found the address
    /// there must not recreate it just after a release removed it (the kernel creates a missing one on renewal).
    private let changes = NIOLock()
    private let failing = NIOLockedValueBox<Set<Holding>>([])
    private let running = NIOLockedValueBox(false)
    private let lapsed: @Sendable (String) -> Void
    private let renewer = NIOLockedValueBox<OwnedThread?>(nil)

    init(
        lifetime: UInt32, guardian: AddressGuardian?, logger: Logger,
        lapsed: @escaping @Sendable (_ group: String) -> Void
    ) {
        self.lifetime = lifetime
        self.guardian = guardian
        self.logger = logger
        self.lapsed = lapsed
    }

    /// Adds the group's address with `lifetime` (renewing the lifetime of one it had already), and holds it.
    /// - Returns: false when the interface had it already.
    func add(_ holding: Holding) throws(NetworkActionError) -> Bool {
        changes.lock()
        defer { changes.unlock() }
        let added = try InterfaceAddresses.add(holding.address, interface: holding.interface, lifetime: lifetime)
        if !added {
            _ = try InterfaceAddresses.renew(holding.address, interface: holding.interface, lifetime: lifetime)
        }
        guardian?.hold(holding.address, interface: holding.interface)
        held.withLockedValue { _ = $0.insert(holding) }
        return added
    }

    /// Stops holding the group's address (no more renewals, the guardian told), then removes it. Should the removal
    /// fail, the kernel drops it when its lifetime runs out.
    /// - Returns: false when the interface did not have it.
    func remove(_ holding: Holding) throws(NetworkActionError) -> Bool {
        changes.lock()
        defer { changes.unlock() }
        held.withLockedValue { _ = $0.remove(holding) }
        guardian?.drop(holding.address, interface: holding.interface)
        return try InterfaceAddresses.remove(holding.address, interface: holding.interface)
    }

    var holdings: Set<Holding> { held.withLockedValue { $0 } }

    /// Renews every held address's lifetime on a thread of its own (a busy pool must not let them lapse).
    func start() {
        running.withLockedValue { $0 = true }
        let every = Double(lifetime) / 4
        let thread = OwnedThread(name: "address-renewer") { [self] in
            var next = MonotonicClock.seconds()
            while running.withLockedValue({ $0 }) {
                let now = MonotonicClock.seconds()
                if now >= next {
                    renewAll()
                    // A guardian that died is replaced now, not at the next address change.
                    if !holdings.isEmpty { guardian?.ensureRunning() }
                    next = now + every
                }
                usleep(50_000)
            }
        }
        renewer.withLockedValue { $0 = thread }
    }

    /// Stops renewing (the daemon is stopping; the guardian removes the addresses once it has gone). The renewing
    /// thread is joined first (it sleeps 50 ms between looks), without holding a thread of the cooperative pool.
    func stop() async {
        running.withLockedValue { $0 = false }
        let thread = renewer.withLockedValue { thread -> OwnedThread? in
            defer { thread = nil }
            return thread
        }
        await thread?.join(waitingAtMost: 5)
        guardian?.stop()
    }

    private func renewAll() {
        for holding in holdings {
            let lapsedNow = changes.withLock { () -> Bool in
                // Released since the list was read: not ours to renew, nor a lapse.
                guard held.withLockedValue({ $0.contains(holding) }) else { return false }
                do {
                    if try InterfaceAddresses.renew(holding.address, interface: holding.interface, lifetime: lifetime) {
                        if failing.withLockedValue({ $0.remove(holding) }) != nil {
                            logger.notice(
                                "group \(holding.group): \(holding.address) on \(holding.interface) is renewed again")
                        }
                        return false
                    }
                    held.withLockedValue { _ = $0.remove(holding) }
                    guardian?.drop(holding.address, interface: holding.interface)
                    return true
                } catch {
                    if failing.withLockedValue({ $0.insert(holding).inserted }) {
                        logger.warning(
                            "group \(holding.group): cannot renew \(holding.address) on \(holding.interface): \(error); it lapses \(lifetime) s after its last renewal unless a renewal succeeds"
                        )
                    }
                    return false
                }
            }
            guard lapsedNow else { continue }
            logger.critical(
                "group \(holding.group): \(holding.address) is gone from \(holding.interface) although this node did not remove it (its lifetime ran out while this node was frozen, or it was removed by hand)"
            )
            lapsed(holding.group)
        }
    }
}
