import NIOCore
import Testing

@testable import SluiceServe

/// A connection's write buffer is reused only when nothing else holds it: a message NIO has
/// not finished writing is never written over, and one large message does not stay pinned.
@Suite struct ReusedWriteBufferTests {
    private let allocator = ByteBufferAllocator()

    private static func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withVeryUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test("once the written message is let go, the next is written into the same memory")
    func reusedWhenFree() {
        var reused = ReusedWriteBuffer()
        var first = reused.take(capacity: 100, allocator: allocator)
        first.writeString("first message")
        reused.keep(first)
        let memory = Self.address(first)
        _ = consume first  // the socket took it: NIO's reference is gone
        var second = reused.take(capacity: 50, allocator: allocator)
        #expect(Self.address(second) == memory)
        #expect(second.readableBytes == 0)
        second.writeString("second")
        #expect(String(buffer: second) == "second")
    }

    @Test("a message still held (a write the socket took in part) keeps its bytes; the next gets new memory")
    func neverOverwritesAHeldMessage() {
        var reused = ReusedWriteBuffer()
        var inFlight = reused.take(capacity: 100, allocator: allocator)
        inFlight.writeString("still being written")
        reused.keep(inFlight)
        var next = reused.take(capacity: 100, allocator: allocator)
        next.writeString("the next answer, longer than the first")
        #expect(Self.address(next) != Self.address(inFlight))
        #expect(String(buffer: inFlight) == "still being written")
        #expect(String(buffer: next) == "the next answer, longer than the first")
    }

    @Test("a buffer grown past the largest kept size is let go; a request for more room than kept grows it")
    func sizes() {
        var reused = ReusedWriteBuffer()
        var large = reused.take(capacity: ReusedWriteBuffer.largestKept + 1, allocator: allocator)
        large.writeRepeatingByte(7, count: ReusedWriteBuffer.largestKept + 1)
        reused.keep(large)
        let largeMemory = Self.address(large)
        _ = consume large
        let afterLarge = reused.take(capacity: 10, allocator: allocator)
        #expect(Self.address(afterLarge) != largeMemory)
        #expect(afterLarge.capacity < ReusedWriteBuffer.largestKept)

        var small = afterLarge
        small.writeString("small")
        reused.keep(small)
        _ = consume small
        var grown = reused.take(capacity: 4096, allocator: allocator)
        #expect(grown.capacity >= 4096 && grown.readableBytes == 0)
        grown.writeRepeatingByte(1, count: 4096)
        #expect(grown.readableBytes == 4096)
    }
}
