using System.Text;
using Appliance.Platform.Redis;

namespace Appliance.UnitTests.Platform;

public sealed class RespTests
{
    [Fact]
    public void Commands_are_encoded_as_arrays_of_bulk_strings_counting_bytes()
    {
        var bytes = RedisClient.Encode(["SET", "k", "ü"]);
        Assert.Equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nü\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void A_batch_is_encoded_back_to_back_in_one_buffer()
    {
        var bytes = RedisClient.Encode([["PING"], ["ECHO", new string('a', 10)]]);
        Assert.Equal("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$10\r\naaaaaaaaaa\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Empty_commands_and_null_parts_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => RedisClient.Encode([["GET", "k"], []]));
        Assert.Throws<ArgumentNullException>(() => RedisClient.Encode(["GET", null!]));
    }

    [Fact]
    public async Task Pipelined_replies_in_one_read_parse_one_after_another()
    {
        var reader = new RedisClient.RespReader(new MemoryStream(Encoding.UTF8.GetBytes("+OK\r\n:7\r\n$2\r\nhi\r\n-ERR x\r\n")));
        Assert.Equal("OK", (await reader.ReadAsync(CancellationToken.None)).Text);
        Assert.Equal(7, (await reader.ReadAsync(CancellationToken.None)).Number);
        Assert.Equal("hi", (await reader.ReadAsync(CancellationToken.None)).Text);
        Assert.Equal(RedisValueKind.Error, (await reader.ReadAsync(CancellationToken.None)).Kind);
        await Assert.ThrowsAsync<EndOfStreamException>(() => reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public void Script_sha1_is_the_lower_case_hex_redis_uses()
    {
        // The example from the Redis EVALSHA documentation: SCRIPT LOAD "return 1".
        Assert.Equal("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", new RedisScript("return 1").Sha1);
        Assert.Throws<ArgumentException>(() => new RedisScript(" "));
    }

    [Theory]
    [InlineData("+OK\r\n", RedisValueKind.SimpleString, "OK")]
    [InlineData("-ERR wrong\r\n", RedisValueKind.Error, "ERR wrong")]
    [InlineData("$5\r\nhello\r\n", RedisValueKind.BulkString, "hello")]
    [InlineData("$0\r\n\r\n", RedisValueKind.BulkString, "")]
    [InlineData("$-1\r\n", RedisValueKind.Null, null)]
    [InlineData("*-1\r\n", RedisValueKind.Null, null)]
    public async Task Scalar_replies_parse(string wire, RedisValueKind kind, string? text)
    {
        var value = await new RedisClient.RespReader(new MemoryStream(Encoding.UTF8.GetBytes(wire))).ReadAsync(CancellationToken.None);
        Assert.Equal(kind, value.Kind);
        Assert.Equal(text, value.Text);
    }

    [Fact]
    public async Task Integers_and_nested_arrays_parse_across_tiny_reads()
    {
        var wire = Encoding.UTF8.GetBytes("*3\r\n:-42\r\n*2\r\n$3\r\nabc\r\n$-1\r\n+x\r\n");
        var value = await new RedisClient.RespReader(new OneByteStream(wire)).ReadAsync(CancellationToken.None);
        Assert.Equal(RedisValueKind.Array, value.Kind);
        Assert.Equal(-42, value.Items![0].Number);
        Assert.Equal("abc", value.Items[1].Items![0].Text);
        Assert.True(value.Items[1].Items![1].IsNull);
        Assert.Equal("x", value.Items[2].Text);
    }

    [Theory]
    [InlineData("?what\r\n")]
    [InlineData(":12a\r\n")]
    public async Task Garbage_is_an_io_error(string wire) =>
        await Assert.ThrowsAsync<IOException>(() => new RedisClient.RespReader(new MemoryStream(Encoding.UTF8.GetBytes(wire))).ReadAsync(CancellationToken.None));

    [Fact]
    public async Task A_closed_connection_is_end_of_stream() =>
        await Assert.ThrowsAsync<EndOfStreamException>(() => new RedisClient.RespReader(new MemoryStream(Encoding.UTF8.GetBytes("$5\r\nhel"))).ReadAsync(CancellationToken.None));

    private sealed class OneByteStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
