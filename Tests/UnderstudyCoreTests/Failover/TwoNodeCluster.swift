import UnderstudyCore

/// Two nodes (alpha, the configured primary at epoch 0, and beta) of one group, and the network between them
/// and the clients. Time advances in steps of 0.25 s; each node is a `FailoverStateMachine` fed the way the
/// engine feeds it: heartbeats every interval on every working link, delivered after a random delay; each tick's
/// observation (peer silence, service check, isolation check, the freeze rule) made by a `FailoverObserver`, as the
/// engine makes it; its actions performed after random delays, their outcomes fed back.
///
/// The network: a `dedicated` cable between the nodes, and the `lan`, which each node reaches through its own
/// port and which carries the clients, the service checks and the isolation check (a ping of the gateway).
/// A node *serves* when it holds the address (an acquire or takeover completed, no release since), runs, and
/// its lan port is up: a frozen machine or one cut off from the lan answers no client, whatever its interface
/// says.
///
/// Failures: a node paused (frozen VM: no ticks, no heartbeats, completions deferred) and resumed, powered off
/// (address and completions gone) and on, its daemon restarted (the address stays on the interface), the
/// cable cut and mended, a node's lan port cut and mended, a node's service stopped and started, a fence
/// that fails, an epoch that cannot be stored. With a fence configured, a successful fence powers the peer off.
/// Planned work too: a switchover asked of the serving node (its mirror may not drain, its epoch may not store).
///
/// Timing margin the isolation rule needs, which these parameters keep: isolation time + isolation check
/// detection (fall × step) + a step < dead time − interval − delay.
struct TwoNodeCluster {
    static let step = 0.25
    static let interval = 0.5
    static let maxDelay = 0.25
    static let deadTime = 3.0
    static let isolationTime = 1.0
    /// One heartbeat: what the loser needs to hear the winner once both serve and can hear each other.
    static let overlapWindow = interval + maxDelay + step + 1e-9
    static let group = GroupOwnership(epoch: 0, owner: "alpha")

    enum Failure: Equatable {
        case pause(Int), power(Int), restartDaemon(Int), dedicated, lan(Int), service(Int)
        /// The administrator asks the node for a switchover (nothing happens unless it serves the group).
        case switchover(Int)
    }

    enum Completion {
        case fence
        case takeover(stored: Bool)
        case acquired
        case released
        case servicesStopped
        case drained(Bool)
        case handOverStored(Bool)
    }

    struct Heartbeat {
        var due: Double
        var from: Int
        var link: String
        var ownership: GroupOwnership
        var phase: FailoverPhase
    }

    struct Node {
        let name: String
        var machine: FailoverStateMachine?
        /// Its peer's links, its service check of the peer, its isolation check: as the engine observes.
        var observer: FailoverObserver
        /// What the node's database holds.
        var stored: GroupOwnership
        var holds = false
        var holdsSince = 0.0
        var poweredOn = true
        var paused = false
        var lanUp = true
        var serviceUp = true
        var nextHeartbeat = 0.0
        var pending: [(due: Double, completion: Completion)] = []
        /// Last time it did not serve a working service.
        var lastUnhealthy = 0.0
        /// When it was last resumed from a pause.
        var resumedAt = -Double.infinity

        var running: Bool { poweredOn && !paused }
    }

    struct Counters: CustomStringConvertible {
        var takeovers = 0, stepDowns = 0, isolations = 0, fencesFailed = 0, overlaps = 0, daemonRestartsWhileServing = 0
        var takeoversJustAfterOwnPause = 0
        var switchovers = 0, handOversFailed = 0

        mutating func add(_ other: Counters) {
            takeovers += other.takeovers
            stepDowns += other.stepDowns
            isolations += other.isolations
            fencesFailed += other.fencesFailed
            overlaps += other.overlaps
            daemonRestartsWhileServing += other.daemonRestartsWhileServing
            takeoversJustAfterOwnPause += other.takeoversJustAfterOwnPause
            switchovers += other.switchovers
            handOversFailed += other.handOversFailed
        }

        var description: String {
            "takeovers \(takeovers), step-downs \(stepDowns), isolations \(isolations), failed fences \(fencesFailed), overlaps \(overlaps), daemon restarts while serving \(daemonRestartsWhileServing), takeovers just after the taker's own pause \(takeoversJustAfterOwnPause), switchovers \(switchovers), hand-overs that failed \(handOversFailed)"
        }
    }

    let fence: Bool
    /// Fences and epoch stores fail now and then; the scenarios turn that off.
    var flaky = true
    var random: SeededGenerator
    var now = 0.0
    var nodes: [Node]
    var dedicatedUp = true
    var inFlight: [Heartbeat] = []
    /// Since when both nodes run and some link joins them; nil while they cannot hear each other.
    var mutualSince: Double? = 0
    var violations: [String] = [] {
        didSet { if oldValue.isEmpty { traceAtFirstViolation = trace.suffix(40) } }
    }
    var trace: [String] = []
    /// What happened just before the first violation, to replay a failing seed in one's head.
    var traceAtFirstViolation: [String] = []
    var counters = Counters()

    init(seed: UInt64, fence: Bool, flaky: Bool = true) {
        self.fence = fence
        self.flaky = flaky
        random = SeededGenerator(seed: seed)
        nodes = ["alpha", "beta"].map { name in
            Node(
                name: name, machine: nil,
                observer: Self.observer(of: name, at: 0),
                stored: Self.group)
        }
        for index in nodes.indices { boot(index) }
    }

    var servers: [String] { nodes.filter(serves).map(\.name) }

    func serves(_ node: Node) -> Bool { node.holds && node.running && node.lanUp }

    // MARK: - Failures

    mutating func injectFailure() {
        guard random.chance(0.1) else { return }
        let node = Int.random(in: 0...1, using: &random)
        let failures: [Failure] = [
            .pause(node), .power(node), .restartDaemon(node), .dedicated, .lan(node), .service(node),
            .switchover(node),
        ]
        apply(failures.randomElement(using: &random)!)
    }

    mutating func apply(_ failure: Failure) {
        switch failure {
        case .pause(let index):
            nodes[index].paused.toggle()
            if !nodes[index].paused { resumed(index) }
            log("\(nodes[index].name) \(nodes[index].paused ? "paused" : "resumed")")
        case .power(let index):
            if nodes[index].poweredOn {
                powerOff(index)
            } else {
                nodes[index].poweredOn = true
                boot(index)
            }
        case .restartDaemon(let index):
            guard nodes[index].running else { return }
            if serves(nodes[index]) { counters.daemonRestartsWhileServing += 1 }
            log("\(nodes[index].name) daemon restarts (holds: \(nodes[index].holds))")
            boot(index)
        case .dedicated:
            dedicatedUp.toggle()
            log("dedicated \(dedicatedUp ? "mended" : "cut")")
        case .lan(let index):
            nodes[index].lanUp.toggle()
            log("\(nodes[index].name) lan \(nodes[index].lanUp ? "mended" : "cut")")
        case .service(let index):
            nodes[index].serviceUp.toggle()
            log("\(nodes[index].name) service \(nodes[index].serviceUp ? "started" : "stopped")")
        case .switchover(let index):
            // The engine refuses a switchover unless the peer is heard and a standby in step (its rejoin done).
            guard nodes[index].running, var machine = nodes[index].machine, mutualSince != nil,
                let theirs = nodes[1 - index].machine, theirs.phase == .standby, theirs.ownership == machine.ownership
            else { return }
            let peer = nodes[1 - index].name
            let force = flaky && random.chance(0.3)
            guard case .success(let actions) = machine.requestHandOver(to: peer, force: force, drainTimeout: 2, at: now)
            else { return }
            log("\(nodes[index].name) hands the group over to \(peer)\(force ? " (forced)" : "")")
            nodes[index].machine = machine
            perform(actions, on: index)
        }
    }

    /// A resumed node's next tick sees its own gap (the freeze rule of `FailoverObserver`).
    private mutating func resumed(_ index: Int) {
        nodes[index].resumedAt = now
    }

    /// What a node observes, fresh at `now`: its peer's two links, a service check of the peer (rise and fall 2), an
    /// isolation check (a ping of the lan's gateway).
    static func observer(of name: String, at now: Double) -> FailoverObserver {
        var observer = FailoverObserver(node: name, deadTime: deadTime, isolationTime: isolationTime)
        observer.liveness[peer(of: name)] = LinkLiveness(
            links: ["dedicated", "lan"], deadTime: deadTime, startedAt: now)
        observer.checks["web"] = ["service": CheckHealth(rise: 2, fall: 2)]
        observer.isolation = CheckHealth(rise: 2, fall: 2)
        return observer
    }

    static func peer(of name: String) -> String { name == "alpha" ? "beta" : "alpha" }

    mutating func repairEverything() {
        log("repair everything")
        dedicatedUp = true
        for index in nodes.indices {
            if nodes[index].paused { resumed(index) }
            nodes[index].paused = false
            nodes[index].lanUp = true
            nodes[index].serviceUp = true
            if !nodes[index].poweredOn {
                nodes[index].poweredOn = true
                boot(index)
            }
        }
    }

    private mutating func powerOff(_ index: Int) {
        log("\(nodes[index].name) powered off")
        nodes[index].poweredOn = false
        nodes[index].paused = false
        nodes[index].machine = nil
        nodes[index].holds = false
        nodes[index].pending = []
    }

    /// The daemon starts (after power-on or a restart) from what its database holds.
    private mutating func boot(_ index: Int) {
        let settings = FailoverStateMachine.Settings(
            node: nodes[index].name, group: "web", mode: .auto, deadTime: Self.deadTime,
            isolationTime: Self.isolationTime, hasFence: fence, hasChecks: true)
        let machine = FailoverStateMachine(settings: settings, ownership: nodes[index].stored, at: now)
        nodes[index].machine = machine
        nodes[index].observer = Self.observer(of: nodes[index].name, at: now)
        nodes[index].pending = []
        nodes[index].nextHeartbeat = now
        log("\(nodes[index].name) starts: \(machine.ownership), \(machine.phase.rawValue)")
        perform(machine.startActions(), on: index)
    }

    // MARK: - Time

    mutating func step() {
        noteHealth()
        deliverHeartbeats()
        deliverCompletions()
        for index in nodes.indices where nodes[index].running {
            observeAndTick(index)
        }
        for index in nodes.indices where nodes[index].running && now >= nodes[index].nextHeartbeat {
            sendHeartbeats(from: index)
        }
        checkInvariants()
        now += Self.step
    }

    private func linkUp(_ link: String) -> Bool {
        link == "dedicated" ? dedicatedUp : nodes.allSatisfy(\.lanUp)
    }

    private mutating func sendHeartbeats(from index: Int) {
        nodes[index].nextHeartbeat = now + Self.interval
        guard let machine = nodes[index].machine else { return }
        for link in ["dedicated", "lan"] where linkUp(link) {
            inFlight.append(
                Heartbeat(
                    due: now + Double.random(in: 0...Self.maxDelay, using: &random), from: index, link: link,
                    ownership: machine.ownership, phase: machine.phase))
        }
    }

    private mutating func deliverHeartbeats() {
        let due = inFlight.filter { $0.due <= now }
        inFlight.removeAll { $0.due <= now }
        for heartbeat in due {
            let to = 1 - heartbeat.from
            // Lost when the link broke in flight or the receiver is frozen or off.
            guard linkUp(heartbeat.link), nodes[to].running, var machine = nodes[to].machine else { continue }
            _ = nodes[to].observer.liveness[nodes[heartbeat.from].name]?.heard(on: heartbeat.link, at: now)
            let actions =
                machine.peerHeard(heartbeat.ownership, at: now) + machine.peerReported(heartbeat.phase, at: now)
            nodes[to].machine = machine
            perform(actions, on: to)
        }
    }

    private mutating func deliverCompletions() {
        for index in nodes.indices where nodes[index].running {
            while let next = nodes[index].pending.firstIndex(where: { $0.due <= now }) {
                let completion = nodes[index].pending.remove(at: next).completion
                guard var machine = nodes[index].machine else { break }
                let actions: [FailoverAction]
                switch completion {
                case .fence:
                    let peer = 1 - index
                    if !flaky || random.chance(0.7) {
                        if nodes[peer].poweredOn { powerOff(peer) }
                        log("\(nodes[index].name) fenced \(nodes[peer].name)")
                        actions = machine.fenceFinished(succeeded: true, detail: "", at: now)
                    } else {
                        counters.fencesFailed += 1
                        log("\(nodes[index].name): fence failed")
                        actions = machine.fenceFinished(succeeded: false, detail: "exit 1", at: now)
                    }
                case .takeover(let stored):
                    if stored { takeAddress(index) }
                    actions = machine.takeoverFinished(stored: stored, succeeded: true, detail: "", at: now)
                    if stored { counters.takeovers += 1 }
                case .acquired:
                    takeAddress(index)
                    actions = machine.acquired(succeeded: true, detail: "", at: now)
                case .released:
                    actions = machine.released(at: now)
                case .servicesStopped:
                    actions = machine.servicesStopped(at: now)
                case .drained(let drained):
                    actions = machine.drainFinished(drained: drained, at: now)
                case .handOverStored(let stored):
                    actions = machine.handOverStored(stored, at: now)
                }
                log("\(nodes[index].name) \(completion) done → \(machine.phase.rawValue), \(machine.ownership)")
                nodes[index].machine = machine
                perform(actions, on: index)
            }
        }
    }

    private mutating func takeAddress(_ index: Int) {
        if !nodes[index].holds {
            nodes[index].holds = true
            nodes[index].holdsSince = now
        }
    }

    private mutating func observeAndTick(_ index: Int) {
        let peer = nodes[1 - index]
        let serviceAnswers = peer.running && peer.holds && peer.serviceUp && peer.lanUp && nodes[index].lanUp
        _ = nodes[index].observer.checks["web"]?["service"]?.record(passed: serviceAnswers, message: "", at: now)
        let lanUp = nodes[index].lanUp
        _ = nodes[index].observer.isolation?.record(passed: lanUp, message: "", at: now)
        _ = nodes[index].observer.tick(at: now)
        guard var machine = nodes[index].machine,
            let seen = nodes[index].observer.observation(
                of: FailoverObserver.Group(name: "web", peer: peer.name), owner: machine.ownership.owner,
                replicaReady: true, at: now)
        else { return }
        let actions = machine.tick(seen)
        nodes[index].machine = machine
        perform(actions, on: index)
    }

    /// What the engine does with each action: store at once, start the slow ones, report them later.
    private mutating func perform(_ actions: [FailoverAction], on index: Int) {
        for action in actions {
            let later = { (random: inout SeededGenerator, most: Double) in
                Double.random(in: 0.05...most, using: &random)
            }
            switch action {
            case .notify(let kind, _, let topic, let summary, _):
                log("\(nodes[index].name) notifies \(kind.rawValue): \(summary)")
                if kind == .stepDown, topic == "isolated" {
                    counters.isolations += 1
                } else if kind == .stepDown {
                    counters.stepDowns += 1
                }
                if kind == .takeoverStarted { expectNeeded(takeoverBy: index) }
            case .recordOwnership(let ownership):
                nodes[index].stored = ownership
            case .fence:
                nodes[index].pending.append((now + later(&random, 2), .fence))
            case .takeOver(let ownership):
                // The epoch is stored first; when that fails nothing else happens.
                let stored = !flaky || random.chance(0.9)
                if stored { nodes[index].stored = ownership }
                nodes[index].pending.append((now + later(&random, 2), .takeover(stored: stored)))
            case .acquire:
                nodes[index].pending.append((now + later(&random, 1), .acquired))
            case .release:
                nodes[index].holds = false
                nodes[index].pending.append((now + later(&random, 1), .released))
            case .stopServices:
                nodes[index].pending.append((now + later(&random, 1), .servicesStopped))
            case .drain:
                let drained = !flaky || random.chance(0.8)
                nodes[index].pending.append((now + later(&random, 1), .drained(drained)))
            case .handOver(let next):
                // Stored first, as a takeover's epoch; the peer takes the group when it hears it.
                let stored = !flaky || random.chance(0.9)
                if stored { nodes[index].stored = next }
                nodes[index].pending.append((now + later(&random, 0.5), .handOverStored(stored)))
            case .handOverEnded(let outcome):
                log("\(nodes[index].name) hand-over ended: \(outcome)")
                if outcome.succeeded { counters.switchovers += 1 } else { counters.handOversFailed += 1 }
            }
        }
    }

    // MARK: - Properties

    /// A takeover (or its fence) only after the peer really stopped serving: never while it served its working
    /// service all along (beyond the time for its heartbeat to arrive once it came back).
    private mutating func expectNeeded(takeoverBy index: Int) {
        let peer = nodes[1 - index]
        // Known gap (see `standbyResumedFromAFreeze_listensBeforeTakingOver`): a node that was frozen itself
        // decides on what it saw before, so it is not held to this.
        if now - nodes[index].resumedAt < Self.deadTime {
            counters.takeoversJustAfterOwnPause += 1
            return
        }
        let tolerance = Self.interval + Self.maxDelay + 2 * Self.step + 1e-9
        if now - peer.lastUnhealthy > tolerance {
            violations.append(
                "t=\(now): \(nodes[index].name) takes over although \(peer.name) has served a working service since \(peer.lastUnhealthy)"
            )
        }
    }

    private mutating func noteHealth() {
        for index in nodes.indices where !(serves(nodes[index]) && nodes[index].serviceUp) {
            nodes[index].lastUnhealthy = now
        }
    }

    private mutating func checkInvariants() {
        let mutual = nodes.allSatisfy(\.running) && (dedicatedUp || nodes.allSatisfy(\.lanUp))
        if !mutual {
            mutualSince = nil
        } else if mutualSince == nil {
            mutualSince = now
        }
        noteHealth()
        guard nodes.allSatisfy(serves) else { return }
        guard let mutualSince else {
            violations.append("t=\(now): both serve and cannot hear each other")
            return
        }
        let overlapStart = max(mutualSince, nodes[0].holdsSince, nodes[1].holdsSince)
        if now == overlapStart { counters.overlaps += 1 }
        if now - overlapStart > Self.overlapWindow {
            violations.append(
                "t=\(now): both serve since \(overlapStart), able to hear each other since \(mutualSince)")
        }
    }

    /// After the repairs: one server, the owner both agree on, stored on both.
    mutating func expectSettled() {
        let owners = nodes.compactMap { $0.machine?.ownership }
        let phases = nodes.map { $0.machine?.phase.rawValue ?? "off" }
        guard owners.count == 2, owners[0] == owners[1] else {
            violations.append("t=\(now): after repair the nodes disagree: \(owners), phases \(phases)")
            return
        }
        let ownership = owners[0]
        if servers != [ownership.owner] {
            violations.append(
                "t=\(now): after repair \(servers) serve, but \(ownership) holds the group; phases \(phases)")
        }
        if nodes.map(\.stored) != [ownership, ownership] {
            violations.append("t=\(now): stored \(nodes.map(\.stored)), but the machines say \(ownership)")
        }
        for node in nodes where node.name != ownership.owner && node.holds {
            violations.append("t=\(now): \(node.name) keeps the address without owning the group")
        }
    }

    private mutating func log(_ line: String) {
        trace.append("t=\(now) \(line)")
        if trace.count > 400 { trace.removeFirst(200) }
    }
}
