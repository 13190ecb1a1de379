#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock timing and memory figures for the benchmark.
enum Measure {
    /// Seconds on a monotonic clock.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Runs `body` `runs` times; the median duration in seconds and the last result.
    static func median<T>(runs: Int, _ body: () -> T) -> (seconds: Double, result: T) {
        var durations: [Double] = []
        var result: T? = nil
        for _ in 0..<max(runs, 1) {
            let start = now()
            result = body()
            durations.append(now() - start)
        }
        return (medianOf(durations), result!)
    }

    static func medianOf(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Peak resident set size of this process so far, in MiB: VmHWM from /proc/self/status
    /// on Linux (getrusage's ru_maxrss would also count the parent's memory when the
    /// process was forked from a large one, e.g. the Python driver), else ru_maxrss.
    static func peakRSSMiB() -> Double {
        #if os(Linux)
        if let file = fopen("/proc/self/status", "r") {
            defer { fclose(file) }
            var line = [CChar](repeating: 0, count: 256)
            while fgets(&line, Int32(line.count), file) != nil {
                let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if text.hasPrefix("VmHWM:") {
                    let kib = text.dropFirst(6).split(separator: " ").first.flatMap { Double($0) }
                    if let kib { return kib / 1024 }
                }
            }
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // KiB on Linux
        #else
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576  // bytes on macOS
        #endif
    }
}
