import Testing
import UnderstudyCore

struct ReplicaRoomStateTests {
    @Test func waits_untilThereIsRoomForWhatTheSyncNeeded_plusAMargin() {
        var room = ReplicaRoom()
        let first = room.ranOut(path: "big.bin", neededBytes: 12 << 20, at: 100)
        #expect(first)
        #expect(room.isFull)
        let total: Int64 = 100 << 20
        #expect(!room.shouldRetry(availableBytes: 12 << 20, totalBytes: total, asked: false, at: 101))
        #expect(room.shouldRetry(availableBytes: 13 << 20, totalBytes: total, asked: false, at: 101))
    }

    @Test func retries_whenAsked_orAfterTheRetryInterval_withoutRoom() {
        var room = ReplicaRoom()
        room.ranOut(path: "big.bin", neededBytes: 1 << 30, at: 100)
        #expect(room.shouldRetry(availableBytes: 0, totalBytes: 1 << 30, asked: true, at: 101))
        #expect(!room.shouldRetry(availableBytes: 0, totalBytes: 1 << 30, asked: false, at: 100 + 599))
        #expect(
            room.shouldRetry(availableBytes: 0, totalBytes: 1 << 30, asked: false, at: 100 + ReplicaRoom.retryAfter))
    }

    @Test func alertsOncePerShortage_evenWhenARetryRunsOutAgain() {
        var room = ReplicaRoom()
        let first = room.ranOut(path: "a", neededBytes: 10, at: 100)
        let second = room.ranOut(path: "b", neededBytes: 10, at: 100.5)
        #expect(first)
        #expect(!second, "a second failure of the same sync is quiet")
        let alert = room.takeAlert()
        let again = room.takeAlert()
        #expect(alert)
        #expect(!again)
        room.retry()
        #expect(!room.isFull, "a retry writes")
        room.ranOut(path: "a", neededBytes: 10, at: 200)
        let repeated = room.takeAlert()
        #expect(!repeated, "still the same shortage")
        room.retry()
        let began = room.succeeded()
        let over = room.succeeded()
        #expect(began == 100, "the shortage began at the first failure")
        #expect(over == nil, "and is over")
        #expect(room.state == .room)
    }

    @Test func aSyncWithoutShortage_endsNothing() {
        var room = ReplicaRoom()
        let ended = room.succeeded()
        #expect(ended == nil)
        #expect(room.shouldRetry(availableBytes: 0, totalBytes: 0, asked: false, at: 0))
    }
}
