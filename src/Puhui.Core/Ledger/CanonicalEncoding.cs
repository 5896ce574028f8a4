using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Puhui.Ledger;

/// <summary>
/// The canonical byte encoding of a transaction and the SHA-256 chain over it.
/// <para>
/// Version 1 (all integers big-endian, strings UTF-8 with a 16-bit byte-length prefix):
/// <code>
/// "PHTX"                      4 bytes, magic
/// version                     1 byte, = 1
/// transaction id              16 bytes, the UUID in RFC 9562 byte order
/// kind                        1 byte, TransactionKind
/// occurred at                 8 bytes, signed microseconds since 1970-01-01T00:00:00Z
/// idempotency key             u16 length + bytes
/// actor                       u16 length + bytes
/// reference                   u16 length + bytes
/// posting count               u16
/// each posting, in order:     account i64, asset u8, batch i64 (0 = none), lot i64 (0 = none), amount i64
/// </code>
/// The chain hash of a transaction is SHA-256(previous hash ‖ canonical bytes); the genesis previous hash is
/// 32 zero bytes. A later version adds fields after these and bumps the version byte; version 1 bytes never change meaning.
/// </para>
/// </summary>
public static class CanonicalEncoding
{
    public const byte Version = 1;
    public const int HashLength = 32;
    private static ReadOnlySpan<byte> Magic => "PHTX"u8;

    public static byte[] GenesisHash { get; } = new byte[HashLength];

    /// <summary>Offsets of the fields the request hash leaves out: the transaction id and the time.</summary>
    private const int IdOffset = 5, KindOffset = 21, TimeOffset = 22, AfterTime = 30;

    public static byte[] Encode(Transaction tx)
    {
        var size = AfterTime + 2 + 2 + 2 + 2 + tx.Postings.Count * PostingSize
            + Encoding.UTF8.GetByteCount(tx.IdempotencyKey) + Encoding.UTF8.GetByteCount(tx.Actor) + Encoding.UTF8.GetByteCount(tx.Reference);
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[4] = Version;
        tx.Id.Value.TryWriteBytes(span[IdOffset..], bigEndian: true, out _);
        span[KindOffset] = (byte)tx.Kind;
        BinaryPrimitives.WriteInt64BigEndian(span[TimeOffset..], ToUnixMicroseconds(tx.OccurredAt));
        var at = AfterTime;
        at = WriteString(span, at, tx.IdempotencyKey);
        at = WriteString(span, at, tx.Actor);
        at = WriteString(span, at, tx.Reference);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], checked((ushort)tx.Postings.Count));
        at += 2;
        foreach (var p in tx.Postings)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[at..], p.Account.Value);
            span[at + 8] = (byte)p.Asset;
            BinaryPrimitives.WriteInt64BigEndian(span[(at + 9)..], p.Batch?.Value ?? 0);
            BinaryPrimitives.WriteInt64BigEndian(span[(at + 17)..], p.Lot?.Value ?? 0);
            BinaryPrimitives.WriteInt64BigEndian(span[(at + 25)..], p.Amount);
            at += PostingSize;
        }

        if (at != size) throw new LedgerInvariantException("The canonical encoding's size was miscounted.");
        return bytes;
    }

    /// <summary>
    /// The fingerprint of what a request asked for: SHA-256 of the canonical bytes without the id and the time,
    /// so a retry of the same request hashes the same and a different request under a reused key does not.
    /// </summary>
    public static byte[] RequestHash(Transaction tx) => RequestHash(Encode(tx));

    /// <summary>The request hash of a transaction from its canonical bytes, without encoding it again.</summary>
    public static byte[] RequestHash(ReadOnlySpan<byte> canonicalBytes)
    {
        var length = canonicalBytes.Length - (AfterTime - IdOffset) + 1;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var buffer = rented.AsSpan(0, length);
            canonicalBytes[..IdOffset].CopyTo(buffer);
            buffer[IdOffset] = canonicalBytes[KindOffset];
            canonicalBytes[AfterTime..].CopyTo(buffer[(IdOffset + 1)..]);
            return SHA256.HashData(buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static byte[] ChainHash(ReadOnlySpan<byte> previousHash, ReadOnlySpan<byte> canonicalBytes)
    {
        if (previousHash.Length != HashLength) throw new LedgerInvariantException("A chain hash is 32 bytes.");
        var length = HashLength + canonicalBytes.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            previousHash.CopyTo(rented);
            canonicalBytes.CopyTo(rented.AsSpan(HashLength));
            return SHA256.HashData(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Decodes canonical bytes back into the transaction they encode. Bytes that are not a well-formed version 1
    /// encoding, or that decode to postings that do not balance, throw <see cref="CanonicalEncodingException"/>
    /// naming what is wrong: stored bytes are evidence, and bad evidence is reported, never repaired.
    /// </summary>
    public static Transaction Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes);
        if (!r.Take(4).SequenceEqual(Magic)) throw new CanonicalEncodingException("the bytes do not start with PHTX");
        var version = r.Byte();
        if (version != Version) throw new CanonicalEncodingException($"encoding version {version} is not {Version}");
        var id = new TransactionId(new Guid(r.Take(16), bigEndian: true));
        var kind = (TransactionKind)r.Byte();
        if (!Enum.IsDefined(kind)) throw new CanonicalEncodingException($"unknown kind {(int)kind}");
        long micros = r.Int64();
        if (micros is < -62_135_596_800_000_000 or > 253_402_300_799_999_999) throw new CanonicalEncodingException("the time is out of range");
        var key = r.String();
        var actor = r.String();
        var reference = r.String();
        var count = r.UInt16();
        var postings = new Posting[count];
        for (var i = 0; i < count; i++)
        {
            var account = r.Int64();
            var asset = (Asset)r.Byte();
            var batch = r.Int64();
            var lot = r.Int64();
            var amount = r.Int64();
            if (account <= 0 || batch < 0 || lot < 0) throw new CanonicalEncodingException($"posting {i} has an invalid account, batch or lot id");
            if (!Enum.IsDefined(asset)) throw new CanonicalEncodingException($"posting {i} has unknown asset {(int)asset}");
            postings[i] = new Posting(new AccountId(account), asset, batch == 0 ? null : new BatchId(batch), lot == 0 ? null : new LotId(lot), amount);
        }

        if (!r.AtEnd) throw new CanonicalEncodingException("bytes follow the last posting");
        try
        {
            return Transaction.Restore(id, key, kind, FromUnixMicroseconds(micros), actor, reference, postings);
        }
        catch (LedgerInvariantException e)
        {
            throw new CanonicalEncodingException(e.Message);
        }
    }

    public static long ToUnixMicroseconds(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromUnixMicroseconds(long microseconds) => DateTimeOffset.UnixEpoch.AddTicks(checked(microseconds * 10));

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public readonly bool AtEnd => _at == _bytes.Length;

        public ReadOnlySpan<byte> Take(int count)
        {
            if (_bytes.Length - _at < count) throw new CanonicalEncodingException($"the bytes end early, at offset {_at}");
            var span = _bytes.Slice(_at, count);
            _at += count;
            return span;
        }

        public byte Byte() => Take(1)[0];
        public ushort UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public string String()
        {
            var length = UInt16();
            try
            {
                return StrictUtf8.GetString(Take(length));
            }
            catch (DecoderFallbackException)
            {
                throw new CanonicalEncodingException($"a string before offset {_at} is not UTF-8");
            }
        }
    }

    private const int PostingSize = 33;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static int WriteString(Span<byte> span, int at, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, span[(at + 2)..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], checked((ushort)length));
        return at + 2 + length;
    }
}

/// <summary>Stored bytes that are not a valid canonical encoding of a balanced transaction.</summary>
public sealed class CanonicalEncodingException(string message) : Exception(message);
