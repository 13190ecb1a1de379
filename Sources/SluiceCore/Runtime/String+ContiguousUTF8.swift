extension String {
    /// Calls `body` with the string's UTF-8 bytes where they lie (a small string's copied to
    /// the stack by the standard library), or with a contiguous copy when it has none (a
    /// bridged string). `withUTF8` needs a mutable copy of the string: a retain and a release
    /// of its storage per call, on paths that read a few bytes of every request. Inlinable, so
    /// that it is specialized where it is called (a generic call cost more than the copy).
    @inlinable
    package func withContiguousUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }
}
