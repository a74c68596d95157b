#if canImport(Glibc)
import Glibc
#endif

/// Work started on the machine's second core, joined before its results are used.
package final class SideTask {
    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private var thread = pthread_t()
    private var started = false
    private var pending: UnsafeMutableRawPointer?

    /// Starts `body` on a new thread. `body` must share nothing mutable with the caller until
    /// ``join()``. Without a thread (creation failed), `body` runs in ``join()``.
    package init(_ body: @escaping () -> Void) {
        let job = Unmanaged.passRetained(Job(body)).toOpaque()
        started = pthread_create(&thread, nil, { raw in
            Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, job) == 0
        pending = started ? nil : job
    }

    /// Waits for `body` to finish (idempotent).
    package func join() {
        if started {
            pthread_join(thread, nil)
            started = false
        } else if let job = pending {
            pending = nil
            Unmanaged<Job>.fromOpaque(job).takeRetainedValue().body()
        }
    }

    deinit { join() }
}

/// Runs independent work on two cores.
package enum SideThread {
    /// Runs `side` on a new thread while `main` runs on this one; returns (or rethrows `main`'s
    /// error) when both are done. `side` must share nothing mutable with `main`.
    package static func run<E: Error>(_ side: @escaping () -> Void, alongside main: () throws(E) -> Void) throws(E) {
        let task = SideTask(side)
        defer { task.join() }
        try main()
    }

    /// ``run(_:alongside:)`` when `parallel`, else `main` then `side` on this thread (for work
    /// too small to pay for a thread).
    package static func run(if parallel: Bool, _ side: @escaping () -> Void, alongside main: () -> Void) {
        guard parallel else {
            main()
            side()
            return
        }
        run(side, alongside: main)
    }
}
