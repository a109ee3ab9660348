import Foundation
import Testing
@testable import EHXShared

@Suite struct BlockHeaderTests {
    static let headersFile = "vectors/bitcoin/headers.json"

    static func blocks() -> [[String: Any]] {
        ((SharedFiles.json(headersFile) as? [String: Any])?["blocks"] as? [[String: Any]]) ?? []
    }

    static func header(from block: [String: Any]) -> BlockHeader? {
        guard let version = (block["version"] as? NSNumber)?.uint32Value,
              let prev = (block["prev_block_hash"] as? String).flatMap(SHA256Digest.init(displayHex:)),
              let merkle = (block["merkle_root"] as? String).flatMap(SHA256Digest.init(displayHex:)),
              let time = (block["time"] as? NSNumber)?.uint32Value,
              let bits = (block["bits"] as? NSNumber)?.uint32Value,
              let nonce = (block["nonce"] as? NSNumber)?.uint32Value
        else { return nil }
        return BlockHeader(version: version, prev: prev, merkle: merkle, time: time, bits: bits, nonce: nonce)
    }

    @Test(.enabled(if: SharedFiles.exists(headersFile)))
    func mainnetHeadersSerializeHashAndMeetTarget() throws {
        let blocks = Self.blocks()
        #expect(blocks.compactMap { $0["height"] as? Int } == [0, 1, 2, 3, 170])
        for block in blocks {
            let height = block["height"] as? Int ?? -1
            let header = try #require(Self.header(from: block), "block \(height) fields")
            #expect(Hex.encode(header.serialized) == block["header_hex"] as? String, "block \(height)")
            #expect(header.hash.displayHex == block["hash"] as? String, "block \(height)")
            #expect(header.hash.hex == block["hash_internal_byte_order"] as? String, "block \(height)")

            let target = try CompactTarget(bits: header.bits)
            #expect(target.bitsHex == block["bits_hex"] as? String)
            #expect(Hex.encode(target.target) == block["target_hex"] as? String)
            #expect(target.isMet(by: header.hash), "block \(height) proof of work")

            let bytes = try #require(Hex.decode(block["header_hex"] as? String ?? ""))
            #expect(try BlockHeader(serialized: bytes) == header, "block \(height) round trip")
        }
    }

    @Test(.enabled(if: SharedFiles.exists(headersFile)))
    func prevLinksToPreviousHash() throws {
        let headers = Self.blocks().filter { ($0["height"] as? Int ?? 99) <= 3 }.compactMap(Self.header(from:))
        #expect(headers.count == 4)
        #expect(headers.first?.prev == SHA256Digest.zero)
        for (parent, child) in zip(headers, headers.dropFirst()) {
            #expect(child.prev == parent.hash)
        }
    }

    @Test func genesisFromDesignText() throws {
        let merkle = try #require(SHA256Digest(displayHex: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"))
        let genesis = BlockHeader(version: 1, prev: .zero, merkle: merkle, time: 1231006505, bits: 0x1d00ffff, nonce: 2083236893)
        #expect(genesis.hash.displayHex == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
        #expect(genesis.serialized.count == 80)
    }

    @Test func anyChangedFieldChangesTheHash() throws {
        let merkle = try #require(SHA256Digest(displayHex: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"))
        let genesis = BlockHeader(version: 1, prev: .zero, merkle: merkle, time: 1231006505, bits: 0x1d00ffff, nonce: 2083236893)
        let target = try CompactTarget(bits: genesis.bits)
        var tampered = genesis
        tampered.time += 1
        #expect(tampered.hash != genesis.hash)
        #expect(!target.isMet(by: tampered.hash))
        tampered = genesis
        tampered.nonce += 1
        #expect(!target.isMet(by: tampered.hash))
    }

    @Test func wrongLengthIsRejected() {
        for count in [0, 79, 81] {
            #expect(throws: ChainPrimitiveError.headerLength(count)) {
                try BlockHeader(serialized: [UInt8](repeating: 0, count: count))
            }
        }
    }

    @Test func fieldsAreLittleEndianAtTheirOffsets() throws {
        var bytes = [UInt8](repeating: 0, count: 80)
        bytes[0] = 0x04; bytes[3] = 0x20          // version 0x20000004
        bytes[4] = 0xaa; bytes[35] = 0xbb         // prev first/last
        bytes[36] = 0xcc; bytes[67] = 0xdd        // merkle first/last
        bytes[68] = 0x01; bytes[71] = 0x02        // time
        bytes[72] = 0xff; bytes[75] = 0x1d        // bits
        bytes[76] = 0x78; bytes[79] = 0x12        // nonce
        let header = try BlockHeader(serialized: bytes)
        #expect(header.version == 0x2000_0004)
        #expect(header.prev.bytes.first == 0xaa && header.prev.bytes.last == 0xbb)
        #expect(header.merkle.bytes.first == 0xcc && header.merkle.bytes.last == 0xdd)
        #expect(header.time == 0x0200_0001)
        #expect(header.bits == 0x1d00_00ff)
        #expect(header.nonce == 0x1200_0078)
        #expect(header.serialized == bytes)
    }
}
