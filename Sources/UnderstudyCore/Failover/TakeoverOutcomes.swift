/// The outcomes of the takeover steps, as both failover machines take them: the pair's (`FailoverStateMachine`) and
/// the recovery site's (`RecoverySiteMachine`). The engine performs these steps the same way for both and tells the
/// machine how each went; the machine answers with its next actions.
public protocol TakeoverOutcomes: Sendable {
    mutating func fenceFinished(succeeded: Bool, detail: String, at now: Double) -> [FailoverAction]
    mutating func takeoverFinished(stored: Bool, succeeded: Bool, detail: String, at now: Double) -> [FailoverAction]
    mutating func acquired(succeeded: Bool, detail: String, at now: Double) -> [FailoverAction]
    mutating func released(at now: Double) -> [FailoverAction]
}

extension FailoverStateMachine: TakeoverOutcomes {}
extension RecoverySiteMachine: TakeoverOutcomes {}
