import Glibc

/// An item a ``HandoffQueue`` hands back and forth: emptied before it is filled again.
protocol Refillable: AnyObject {
    init()
    /// Empties the item, keeping its memory.
    func reset()
}

/// A fixed set of items circulating between one producing thread, which fills free items, and
/// one consumer, which takes them full in the order they were filled and gives them back, all
/// under one mutex. Bounding the items bounds the memory the producer can run ahead with.
final class HandoffQueue<Item: Refillable>: @unchecked Sendable {
    // Unchecked: every stored property is read and written under `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>
    private var full: [Item] = []
    private var free: [Item]
    private var cancelled = false

    init(batches: Int) {
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
        free = (0..<batches).map { _ in Item() }
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// An item to fill, or nil once the consumer gave up.
    func takeFree() -> Item? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while free.isEmpty, !cancelled { pthread_cond_wait(cond, mutex) }
        return cancelled ? nil : free.removeFirst()
    }

    func pushFull(_ item: Item) {
        locked { full.append(item) }
        pthread_cond_broadcast(cond)
    }

    /// The next filled item, in order (blocks).
    func takeFull() -> Item {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while full.isEmpty { pthread_cond_wait(cond, mutex) }
        return full.removeFirst()
    }

    func giveBack(_ item: Item) {
        item.reset()
        locked { free.append(item) }
        pthread_cond_broadcast(cond)
    }

    /// Tells the producer to stop at its next item.
    func cancel() {
        locked { cancelled = true }
        pthread_cond_broadcast(cond)
    }
}
