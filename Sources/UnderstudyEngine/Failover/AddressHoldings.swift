#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import UnderstudyCore

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
    private let running = NIOLockedValueBox(false)
    private let lapsed: @Sendable (String) -> Void
    private let finished = DispatchSemaphore(value: 0)

    init(lifetime: UInt32, guardian: AddressGuardian?, logger: Logger, lapsed: @escaping @Sendable (_ group: String) -> Void) {
        self.lifetime = lifetime
        self.guardian = guardian
        self.logger = logger
        self.lapsed = lapsed
    }

    /// The group's address is on the interface now (added with `lifetime`).
    func took(_ holding: Holding) {
        guardian?.hold(holding.address, interface: holding.interface)
        held.withLockedValue { _ = $0.insert(holding) }
    }

    /// The group's address was removed (or is not this node's to hold).
    func gave(_ holding: Holding) {
        held.withLockedValue { _ = $0.remove(holding) }
        guardian?.drop(holding.address, interface: holding.interface)
    }

    var holdings: Set<Holding> { held.withLockedValue { $0 } }

    /// Renews every held address's lifetime on a thread of its own (a busy pool must not let them lapse).
    func start() {
        running.withLockedValue { $0 = true }
        let every = Double(lifetime) / 4
        Thread { [self] in
            defer { finished.signal() }
            var next = NodeRuntime.monotonicSeconds()
            while running.withLockedValue({ $0 }) {
                let now = NodeRuntime.monotonicSeconds()
                if now >= next {
                    renewAll()
                    next = now + every
                }
                usleep(50_000)
            }
        }.start()
    }

    /// Stops renewing (the daemon is stopping; the guardian removes the addresses once it has gone).
    func stop() {
        let wasRunning = running.withLockedValue { state -> Bool in
            defer { state = false }
            return state
        }
        if wasRunning { finished.wait() }
        guardian?.stop()
    }

    private func renewAll() {
        for holding in holdings {
            do {
                if try InterfaceAddresses.renew(holding.address, interface: holding.interface, lifetime: lifetime) { continue }
                held.withLockedValue { _ = $0.remove(holding) }
                guardian?.drop(holding.address, interface: holding.interface)
                logger.critical("group \(holding.group): \(holding.address) is gone from \(holding.interface) although this node did not remove it (its lifetime ran out while this node was frozen, or it was removed by hand)")
                lapsed(holding.group)
            } catch {
                logger.warning("group \(holding.group): cannot renew \(holding.address) on \(holding.interface): \(error); it lapses \(lifetime) s after its last renewal")
            }
        }
    }
}
