/// Bytes handed out in order, a buffer at a time: a file or memory (`ByteInput`), or what an IDX
/// file holds once inflated (`IDXSource`).
protocol ByteReading {
    /// Fills the front of `buffer` with the next bytes and returns how many: 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(IDXError) -> Int
}

extension ByteReading {
    /// Up to `count` bytes: fewer only at the end.
    mutating func read(upTo count: Int) throws(IDXError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, count), alignment: 1)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<count]))
            if got == 0 { break }
            done += got
        }
        return Array(buffer[..<done])
    }
}
