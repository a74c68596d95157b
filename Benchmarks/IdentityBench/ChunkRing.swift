import Glibc

/// The chunks of an output that two threads format and one of them writes, in order.
///
/// Chunks are claimed in increasing order by whichever thread asks; chunk `c` is formatted
/// into buffer `c % buffers`, so at most `buffers` chunks are formatted or waiting to be
/// written at once (the memory either thread can run ahead with). The writing thread asks
/// ``nextTask()``: the next chunk in order once it is formatted, else a chunk of its own to
/// format. Which thread formats a chunk changes nothing in its bytes.
final class ChunkRing: @unchecked Sendable {
    // Unchecked: every stored var is read and written under `mutex`; a buffer belongs to the
    // thread that claimed its chunk until `formatted`, then to the writer until `written`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>
    private let buffers: [FormattedChunk]
    private var ready: [Bool]
    private let chunks: Int
    /// Chunks claimed so far (the next claim is chunk `claimed`).
    private var claimed = 0
    /// Chunks written so far (the next to write is chunk `done`).
    private var done = 0
    private var cancelled = false

    /// What the writing thread does next.
    enum Task {
        /// Write this chunk (the next in order), then call ``written()``.
        case write(FormattedChunk)
        /// Format chunk `c` into this buffer, then call ``formatted(_:)``.
        case format(Int, FormattedChunk)
        /// Every chunk is written, or the ring was cancelled.
        case done
    }

    init(chunks: Int, buffers: Int) {
        precondition(buffers > 0)
        self.chunks = chunks
        self.buffers = (0..<buffers).map { _ in FormattedChunk() }
        ready = Array(repeating: false, count: buffers)
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    /// Under the mutex: the next chunk and its (emptied) buffer if one may be claimed now.
    private func takeClaim() -> (Int, FormattedChunk)? {
        guard !cancelled, claimed < chunks, claimed < done + buffers.count else { return nil }
        let c = claimed
        claimed += 1
        let buffer = buffers[c % buffers.count]
        buffer.reset()
        return (c, buffer)
    }

    /// The formatting thread's next chunk to format and its buffer (waiting while every
    /// buffer is in use), or nil when every chunk is claimed or the ring was cancelled.
    func claim() -> (Int, FormattedChunk)? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let claim = takeClaim() { return claim }
            if cancelled || claimed >= chunks { return nil }
            pthread_cond_wait(cond, mutex)
        }
    }

    /// Marks chunk `c` formatted.
    func formatted(_ c: Int) {
        pthread_mutex_lock(mutex)
        ready[c % buffers.count] = true
        pthread_mutex_unlock(mutex)
        pthread_cond_broadcast(cond)
    }

    /// The writing thread's next task (waiting while the next chunk is being formatted by the
    /// other thread and there is nothing to claim).
    func nextTask() -> Task {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if cancelled || done >= chunks { return .done }
            let slot = done % buffers.count
            if ready[slot] { return .write(buffers[slot]) }
            if let (c, buffer) = takeClaim() { return .format(c, buffer) }
            pthread_cond_wait(cond, mutex)
        }
    }

    /// Marks the chunk that ``nextTask()`` last handed out to write as written, freeing its buffer.
    func written() {
        pthread_mutex_lock(mutex)
        ready[done % buffers.count] = false
        done += 1
        pthread_mutex_unlock(mutex)
        pthread_cond_broadcast(cond)
    }

    /// Stops both threads at their next call (the output failed).
    func cancel() {
        pthread_mutex_lock(mutex)
        cancelled = true
        pthread_mutex_unlock(mutex)
        pthread_cond_broadcast(cond)
    }
}
