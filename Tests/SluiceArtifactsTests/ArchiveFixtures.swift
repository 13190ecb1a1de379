import Foundation
import SluiceTestSupport

/// Archives made at test time by Python's `tarfile` and `zipfile` (real encoders, not ours),
/// benign and hostile, in a temporary directory.
struct ArchiveFixtures {
    let directory: URL

    /// Builds every archive `script` writes; call ``remove()`` when done.
    static func make() async throws -> ArchiveFixtures {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-archives-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("make.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let result = try await ChildProcess.run(URL(fileURLWithPath: LoopbackHTTPSServer.python), [script.path, directory.path])
        guard result.status == 0 else { throw FixtureError(message: "making the archives failed: \(result.output)") }
        return ArchiveFixtures(directory: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A fresh path (not created) to unpack into.
    func output(_ name: String = UUID().uuidString) -> String { directory.appendingPathComponent("out-\(name)").path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// The long member name used by the GNU and pax archives (over ustar's 100 bytes).
    static let longName = "deep/" + String(repeating: "n", count: 150) + "/weights.bin"

    private static let script = #"""
    import io, os, struct, sys, tarfile, zipfile

    out = sys.argv[1]
    os.chdir(out)
    long_name = "deep/" + "n" * 150 + "/weights.bin"

    def member(tar, name, data=b"", kind=tarfile.REGTYPE, link=""):
        info = tarfile.TarInfo(name)
        info.type = kind
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        info.linkname = link
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

    def tar(name, members, fmt=tarfile.GNU_FORMAT, gz=True):
        with tarfile.open(name, "w:gz" if gz else "w", format=fmt) as t:
            for m in members:
                member(t, *m)

    good = [("model/", b"", tarfile.DIRTYPE), ("model/config.json", b'{"a": 1}\n'), ("./model/weights.bin", bytes(range(256)) * 300),
            ("empty.txt", b""), (long_name, b"long\n")]
    tar("good-gnu.tar.gz", good, tarfile.GNU_FORMAT)
    tar("good-pax.tar.gz", good, tarfile.PAX_FORMAT)
    tar("good-gnu.tar", good, tarfile.GNU_FORMAT, gz=False)
    tar("escape.tar.gz", [("ok.txt", b"ok"), ("../escape.txt", b"evil")])
    tar("nested-escape.tar.gz", [("a/../../escape.txt", b"evil")])
    tar("absolute.tar.gz", [("/tmp/sluice-absolute-evil.txt", b"evil")])
    tar("symlink.tar.gz", [("link", b"", tarfile.SYMTYPE, "/etc/passwd")])
    tar("symlink-then-write.tar.gz", [("dir", b"", tarfile.SYMTYPE, "/tmp"), ("dir/evil.txt", b"evil")])
    tar("hardlink.tar.gz", [("a.txt", b"a"), ("b.txt", b"", tarfile.LNKTYPE, "a.txt")])
    tar("device.tar.gz", [("null", b"", tarfile.CHRTYPE)])
    tar("fifo.tar.gz", [("pipe", b"", tarfile.FIFOTYPE)])
    tar("duplicate.tar.gz", [("a.txt", b"first"), ("a.txt", b"second")])
    tar("too-long.tar.gz", [("x/" * 2100 + "f", b"x")], tarfile.PAX_FORMAT)
    tar("bomb-bytes.tar.gz", [("zeros.bin", bytes(4 << 20))])
    tar("bomb-entries.tar.gz", [("f%d" % i, b"") for i in range(300)])
    # pax header with a path that escapes, over a harmless ustar name
    tar("pax-escape.tar.gz", [("../" * 40 + "x" * 60 + "/escape.txt", b"evil")], tarfile.PAX_FORMAT)
    # a truncated gzip: the first half of a good archive
    with open("good-gnu.tar.gz", "rb") as f:
        data = f.read()
    with open("truncated.tar.gz", "wb") as f:
        f.write(data[: len(data) // 2])

    def zip_(name, members, method=zipfile.ZIP_DEFLATED):
        with zipfile.ZipFile(name, "w", method) as z:
            for m in members:
                if isinstance(m, zipfile.ZipInfo):
                    z.writestr(m, b"/etc/passwd")
                else:
                    z.writestr(m[0], m[1])

    zip_("good.zip", [("model/", b""), ("model/config.json", b'{"a": 1}\n'), ("model/weights.bin", bytes(range(256)) * 300), ("top.txt", b"top\n")])
    zip_("stored.zip", [("a.txt", b"stored bytes\n")], zipfile.ZIP_STORED)
    zip_("escape.zip", [("../escape.txt", b"evil")])
    zip_("absolute.zip", [("/tmp/sluice-absolute-evil.txt", b"evil")])
    link = zipfile.ZipInfo("link")
    link.create_system = 3
    link.external_attr = (0o120777 << 16)
    zip_("symlink.zip", [link])
    zip_("bomb.zip", [("zeros.bin", bytes(4 << 20))])
    # a member that lies about its size in the central directory: inflates past it
    with open("bomb.zip", "rb") as f:
        data = bytearray(f.read())
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 1000)
    with open("liar.zip", "wb") as f:
        f.write(data)
    with open("good.zip", "rb") as f:
        data = bytearray(f.read())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 16] ^= 0xFF  # the last member's CRC-32
    with open("bad-crc.zip", "wb") as f:
        f.write(data)
    """#
}
