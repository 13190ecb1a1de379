import NIOCore

/// A connection's write buffer, kept from one message to the next. Once the socket has taken a
/// message, NIO holds its buffer no longer, and the next message is written into the same
/// memory: a new `ByteBuffer` is two allocations (its storage object and its bytes) and two
/// frees later (Benchmarks/README.md, "Hot path, slice 48"). While NIO still holds it (a
/// write the socket took only part of), the next message gets new memory, as `ByteBuffer`'s
/// copy-on-write gives it. A buffer grown past ``largestKept`` is let go.
struct ReusedWriteBuffer {
    /// The largest capacity kept for the next message, so that one large message does not
    /// pin its memory for the connection's life.
    static let largestKept = 64 * 1024

    private var kept: ByteBuffer?

    /// An empty buffer with room for `capacity` bytes: the kept one when nothing else holds it.
    mutating func take(capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        // Moved out, so that this holder's reference does not make the buffer look shared.
        guard var buffer = kept.take() else { return allocator.buffer(capacity: capacity) }
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }

    /// Keeps a reference to `buffer`, about to be written, for the next message.
    mutating func keep(_ buffer: ByteBuffer) {
        if buffer.capacity <= Self.largestKept { kept = buffer }
    }
}
