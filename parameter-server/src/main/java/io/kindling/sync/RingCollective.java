package io.kindling.sync;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ring collectives among the W tasks of a gang over direct TCP connections: task r sends to task r
 * + 1 and receives from task r - 1 (mod W), so each link carries 2(W-1)/W of a buffer per
 * all-reduce, the bandwidth optimum. A buffer of n floats is cut into W chunks {@code
 * [chunkStart(i), chunkStart(i + 1))}; after {@link #reduceScatter} task r holds the sum of chunk
 * r, and {@link #allGather} spreads every task's chunk r to all. Summation order depends only on W,
 * so every task ends with bit-identical values.
 *
 * <p>Connections are mutually authenticated with the job's secret (HMAC-SHA256 over fresh nonces);
 * a connection that cannot prove it is refused and the listener keeps waiting for the right peer.
 * Every connect, accept and transfer gives up after the timeout without progress, with an error
 * naming the peer, so a lost task ends the round instead of hanging it.
 *
 * <p>Between two tasks on one host (the same address) the frames travel through shared memory
 * instead ({@link SharedRing}, offered and accepted over the authenticated connection, which then
 * only watches for the neighbour's end): encoded straight into a slot and decoded straight out of
 * it, without the two copies and the wake-up per transfer of a loopback socket.
 *
 * <p>Wire format, little-endian, no Java serialization: data moves in frames of at most {@link
 * #FRAME_FLOATS} values (which bounds the buffers), each a header {@code [magic, frame sequence,
 * element offset, element count]} of 4-byte ints followed by the raw values: fp32, bfloat16 for a
 * reduce-scatter that asks for it, or a sparse gradient's (index, value) pairs; the receiver checks
 * the header against the frame it expects, so a ring out of step or set up differently fails at
 * once.
 */
final class RingCollective implements AutoCloseable {
  /** How the values of a collective travel; the magic in each frame's header says which. */
  enum Wire {
    FP32(4, 0x4B444154), // "KDAT"
    /** bfloat16: fp32's range with 8 significant bits, in half the bytes. */
    BF16(2, 0x4B423136), // "KB16"
    /**
     * (index, value) pairs of a sparse gradient as raw 32-bit words: see {@link TopKSparsifier}.
     */
    PAIRS(4, 0x4B505253); // "KPRS"

    final int bytes;
    final int magic;

    Wire(int bytes, int magic) {
      this.bytes = bytes;
      this.magic = magic;
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(RingCollective.class);
  static final int FRAME_FLOATS = Communication.FRAME_FLOATS;

  /**
   * Frames over shared memory are small so that the two sides pipeline: the receiver sums one frame
   * while the next arrives.
   */
  static final int SHARED_FRAME_FLOATS = 1 << 16;

  private static final int HEADER_BYTES = 16;
  private static final int SHARED_FRAME_BYTES = HEADER_BYTES + 4 * SHARED_FRAME_FLOATS;

  private static final int SHARED_MAGIC = 0x4B53484D; // "KSHM"
  private static final int MAX_PATH_BYTES = 4096;
  // Waiting on shared memory: spinning for the first millisecond halved an all-reduce's median
  // (a nap on this kind of virtual machine lasts far longer than asked); naps after 5 ms keep a
  // task that waits for a slow peer from holding its core.
  private static final long SPIN_NANOS = 1_000_000;
  private static final long YIELD_NANOS = 5_000_000;
  private static final long PARK_NANOS = 50_000;
  // A ring driven from a background thread naps at once, and longer: its spinning or frequent
  // wake-ups would take the core from the thread that computes beside it.
  private static final long BACKGROUND_PARK_NANOS = 500_000;
  private static final int HELLO_MAGIC = 0x4B52494E; // "KRIN"
  private static final int NONCE_BYTES = 16;
  private static final int MAC_BYTES = 32;
  private static final byte ACCEPTED = 1;
  private static final byte REFUSED = 0;
  private static final SecureRandom NONCES = new SecureRandom();

  private final int rank;
  private final int size;
  private final long timeoutNanos;
  private final Selector selector;
  private final SocketChannel next;
  private final SocketChannel previous;
  private final String nextName;
  private final String previousName;
  private final Frame outgoing;
  private final Frame incoming;
  private final float[] received;
  private final ByteBuffer probe = ByteBuffer.allocate(1);

  /** The shared memory links, where a neighbour runs on this host; else null (TCP). */
  private SharedRing nextRing;

  private SharedRing previousRing;
  private Frame[] nextSlots;
  private Frame[] previousSlots;

  /** A frame's bytes, with views of its values as fp32 and as bfloat16, made once. */
  private record Frame(ByteBuffer bytes, FloatBuffer floats, ShortBuffer halves) {
    static Frame over(ByteBuffer bytes) {
      bytes.order(ByteOrder.LITTLE_ENDIAN);
      Frame frame =
          new Frame(bytes, afterHeader(bytes).asFloatBuffer(), afterHeader(bytes).asShortBuffer());
      bytes.clear();
      return frame;
    }

    /** The most values one frame carries. */
    int capacity() {
      return floats.capacity();
    }
  }

  private int framesSent;
  private int framesReceived;
  private long bytesSent;

  /** Whether waits on shared memory nap at once ({@link #waitInBackground}). */
  private boolean background;

  /** A listening socket on {@code host}, on a port the system picks: its port goes to the peers. */
  static ServerSocketChannel listen(InetAddress host) throws IOException {
    ServerSocketChannel listener = ServerSocketChannel.open();
    try {
      listener.bind(new InetSocketAddress(host, 0), 8);
      listener.configureBlocking(false);
      return listener;
    } catch (IOException e) {
      listener.close();
      throw new IOException("cannot listen on " + host + ": " + e.getMessage(), e);
    }
  }

  /**
   * Joins the ring as task {@code rank}: connects to the next task, accepts the previous one on
   * {@code listener} (which every task must have opened before any connects; null when alone) and
   * authenticates both links.
   *
   * @param peers every task's listening address, by rank
   * @param sharedMemory whether data to and from a neighbour on this host (same address) moves
   *     through shared memory ({@link SharedRing}) instead of the TCP connection, which then only
   *     authenticates and watches the neighbour
   */
  static RingCollective connect(
      int rank,
      List<InetSocketAddress> peers,
      ServerSocketChannel listener,
      byte[] secret,
      Duration timeout,
      boolean sharedMemory)
      throws IOException {
    return new RingCollective(rank, peers, listener, secret, timeout, sharedMemory);
  }

  private RingCollective(
      int rank,
      List<InetSocketAddress> peers,
      ServerSocketChannel listener,
      byte[] secret,
      Duration timeout,
      boolean sharedMemory)
      throws IOException {
    this.rank = rank;
    this.size = peers.size();
    this.timeoutNanos = timeout.toNanos();
    int nextRank = (rank + 1) % size;
    int previousRank = (rank + size - 1) % size;
    this.nextName = "task " + nextRank + " at " + describe(peers.get(nextRank));
    this.previousName = "task " + previousRank + " at " + describe(peers.get(previousRank));
    if (size == 1) {
      this.selector = null;
      this.next = null;
      this.previous = null;
      this.outgoing = null;
      this.incoming = null;
      this.received = null;
      return;
    }
    this.selector = Selector.open();
    Mac mac = mac(secret);
    long deadline = System.nanoTime() + timeoutNanos;
    SocketChannel out = null;
    SocketChannel in = null;
    try {
      // The handshake is ordered so that each wait depends only on an earlier phase of a
      // neighbour: no task can wait on another that waits on it, whatever W.
      out = dial(peers.get(nextRank), deadline);
      byte[] nonce = nonce();
      write(out, hello(rank, nonce), deadline, nextName);
      Candidate candidate = accept(listener, previousRank, mac, deadline, new ArrayList<>());
      in = candidate.channel;
      ByteBuffer challenge = read(out, 4 + NONCE_BYTES + MAC_BYTES, deadline, nextName);
      if (challenge.getInt() != nextRank) {
        throw new IOException(nextName + " answered as another task: the ring addresses are wrong");
      }
      byte[] theirNonce = bytes(challenge, NONCE_BYTES);
      byte[] theirProof = bytes(challenge, MAC_BYTES);
      // Prove ourselves before judging them, so a listener with another secret says so clearly.
      write(out, ByteBuffer.wrap(sign(mac, "connector", rank, theirNonce)), deadline, nextName);
      if (!MessageDigest.isEqual(theirProof, sign(mac, "listener", nextRank, nonce))) {
        throw new IOException(
            "authentication with "
                + nextName
                + " failed: the two tasks hold different job secrets (is another job on that port?)");
      }
      in = authenticate(candidate, listener, previousRank, mac, deadline);
      if (read(out, 1, deadline, nextName).get() != ACCEPTED) {
        throw new IOException(nextName + " refused our connection: the job secrets differ");
      }
      for (SocketChannel c : List.of(out, in)) {
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
      }
      shareMemory(
          out,
          in,
          sharedMemory,
          peers.get(rank).getAddress().equals(peers.get(previousRank).getAddress()),
          deadline);
    } catch (IOException | RuntimeException e) {
      closeQuietly(nextRing);
      closeQuietly(previousRing);
      closeQuietly(out);
      closeQuietly(in);
      selector.close();
      throw e;
    }
    this.next = out;
    this.previous = in;
    // Frame buffers only for the links that stay on TCP: 4 MB of direct memory each.
    this.outgoing = nextRing == null ? tcpFrame() : null;
    this.incoming = previousRing == null ? tcpFrame() : null;
    this.received = new float[previousRing == null ? FRAME_FLOATS : SHARED_FRAME_FLOATS];
  }

  private static Frame tcpFrame() {
    return Frame.over(ByteBuffer.allocateDirect(HEADER_BYTES + 4 * FRAME_FLOATS));
  }

  /**
   * Sets up the shared memory links after authentication. Each task offers its previous neighbour a
   * ring to write into (or none: another host, no {@code /dev/shm}, or turned off), then takes up
   * or declines its next neighbour's offer, then learns whether its own offer was taken; as in the
   * handshake, each wait depends only on a neighbour's earlier phase. Either side can fall back to
   * TCP, and both then agree.
   *
   * @param enabled whether this task may use shared memory at all
   * @param previousLocal whether the previous task listens on this task's address
   */
  private void shareMemory(
      SocketChannel out, SocketChannel in, boolean enabled, boolean previousLocal, long deadline)
      throws IOException {
    SharedRing offered = null;
    if (enabled && previousLocal && SharedRing.available()) {
      try {
        offered = SharedRing.create(SHARED_FRAME_BYTES);
      } catch (IOException e) {
        LOG.warn("{}; the ring link from {} uses TCP", e.getMessage(), previousName);
      }
    }
    previousRing = offered;
    byte[] path =
        offered == null ? new byte[0] : offered.file().toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer message = ByteBuffer.allocate(8 + path.length).order(ByteOrder.LITTLE_ENDIAN);
    write(
        in,
        message.putInt(SHARED_MAGIC).putInt(path.length).put(path).flip(),
        deadline,
        previousName);

    ByteBuffer header = read(out, 8, deadline, nextName);
    int length = header.getInt(4);
    if (header.getInt(0) != SHARED_MAGIC || length < 0 || length > MAX_PATH_BYTES) {
      throw new IOException(nextName + " sent a malformed shared memory offer");
    }
    if (length > 0) {
      Path file =
          Path.of(
              new String(
                  bytes(read(out, length, deadline, nextName), length), StandardCharsets.UTF_8));
      if (enabled) {
        try {
          nextRing = SharedRing.open(file, SHARED_FRAME_BYTES);
          nextSlots = slots(nextRing);
        } catch (IOException e) {
          LOG.warn("{}; the ring link to {} uses TCP", e.getMessage(), nextName);
        }
      }
      write(
          out,
          ByteBuffer.wrap(new byte[] {nextRing != null ? ACCEPTED : REFUSED}),
          deadline,
          nextName);
    }

    if (offered != null) {
      boolean taken = read(in, 1, deadline, previousName).get() == ACCEPTED;
      offered.unlink();
      if (taken) {
        previousSlots = slots(offered);
      } else {
        offered.close();
        previousRing = null;
      }
    }
  }

  private static Frame[] slots(SharedRing ring) {
    Frame[] frames = new Frame[SharedRing.SLOTS];
    for (int i = 0; i < frames.length; i++) {
      frames[i] = Frame.over(ring.slot(i));
    }
    return frames;
  }

  int rank() {
    return rank;
  }

  int size() {
    return size;
  }

  /** How many of this task's two links move data through shared memory (0 to 2). */
  int sharedLinks() {
    return (nextRing != null ? 1 : 0) + (previousRing != null ? 1 : 0);
  }

  /** Data bytes this task has written since it joined, frame headers included. */
  /**
   * Whether the collectives that follow run on a background thread beside a computing one: their
   * waits on shared memory then nap at once instead of spinning first. Set by the thread that then
   * runs them, before it does.
   */
  void waitInBackground(boolean background) {
    this.background = background;
  }

  long bytesSent() {
    return bytesSent;
  }

  /** The first element of chunk {@code chunk} of a {@code length}-long buffer. */
  static int chunkStart(int chunk, int length, int workers) {
    return (int) ((long) chunk * length / workers);
  }

  /** The start of this task's chunk of a {@code length}-long buffer. */
  int shardStart(int length) {
    return chunkStart(rank, length, size);
  }

  /** The end (exclusive) of this task's chunk. */
  int shardEnd(int length) {
    return chunkStart(rank + 1, length, size);
  }

  /**
   * Sums {@code buffer[offset, offset + length)} over all tasks chunk by chunk: afterwards this
   * task holds the full sum of its own chunk {@code [offset + shardStart, offset + shardEnd)}; the
   * rest of the range holds partial sums. Partial sums travel as {@code wire} values.
   */
  void reduceScatter(float[] buffer, int offset, int length, Wire wire) throws IOException {
    for (int t = 0; t < size - 1; t++) {
      ringStep(buffer, offset, length, mod(rank - t - 1), mod(rank - t - 2), true, wire);
    }
  }

  /**
   * Copies every task's own chunk of {@code buffer[offset, offset + length)} to all the others, as
   * fp32: every task must end with exactly the owner's values.
   */
  void allGather(float[] buffer, int offset, int length) throws IOException {
    for (int t = 0; t < size - 1; t++) {
      ringStep(buffer, offset, length, mod(rank - t), mod(rank - t - 1), false, Wire.FP32);
    }
  }

  /**
   * Copies every task's own chunk of {@code pairs[0, length)} to all the others, bit for bit, as
   * {@link Wire#PAIRS} frames: a task that sends dense gradients instead fails the ring at once.
   */
  void allGatherPairs(float[] pairs, int length) throws IOException {
    for (int t = 0; t < size - 1; t++) {
      ringStep(pairs, 0, length, mod(rank - t), mod(rank - t - 1), false, Wire.PAIRS);
    }
  }

  /** Sums {@code buffer[offset, offset + length)} over all tasks, in fp32; all get the sum. */
  void allReduce(float[] buffer, int offset, int length) throws IOException {
    reduceScatter(buffer, offset, length, Wire.FP32);
    allGather(buffer, offset, length);
  }

  @Override
  public void close() throws IOException {
    if (selector != null) {
      closeQuietly(nextRing);
      closeQuietly(previousRing);
      closeQuietly(next);
      closeQuietly(previous);
      selector.close();
    }
  }

  /**
   * One step of the ring: sends chunk {@code send} to the next task while receiving chunk {@code
   * receive} from the previous one, adding it to the buffer or replacing the buffer's values.
   */
  private void ringStep(
      float[] buffer, int offset, int length, int send, int receive, boolean sum, Wire wire)
      throws IOException {
    int sendAt = offset + chunkStart(send, length, size);
    int sendEnd = offset + chunkStart(send + 1, length, size);
    int receiveAt = offset + chunkStart(receive, length, size);
    int receiveEnd = offset + chunkStart(receive + 1, length, size);
    if (outgoing != null) {
      outgoing.bytes().clear().limit(0);
    }
    if (incoming != null) {
      expectFrame(receiveEnd - receiveAt, wire);
    }
    long quietSince = System.nanoTime();
    while (true) {
      boolean moved = false;
      if (nextRing != null) {
        int slot = sendAt < sendEnd ? nextRing.claim() : -1;
        if (slot >= 0) {
          int count = putFrame(nextSlots[slot], buffer, sendAt, sendEnd, wire);
          nextRing.publish();
          sendAt += count;
          bytesSent += HEADER_BYTES + (long) wire.bytes * count;
          moved = true;
        }
      } else {
        if (!outgoing.bytes().hasRemaining() && sendAt < sendEnd) {
          sendAt += putFrame(outgoing, buffer, sendAt, sendEnd, wire);
        }
        if (outgoing.bytes().hasRemaining()) {
          int n = write(outgoing.bytes());
          bytesSent += n;
          moved |= n > 0;
        }
      }
      if (receiveAt < receiveEnd) {
        if (previousRing != null) {
          int slot = previousRing.peek();
          if (slot >= 0) {
            Frame frame = previousSlots[slot];
            expect(frame, receiveEnd - receiveAt, wire);
            receiveAt += takeFrame(frame, buffer, receiveAt, sum, wire);
            previousRing.release();
            moved = true;
          }
        } else {
          int n = read(incoming.bytes());
          if (n < 0) {
            throw closed(previousName);
          }
          moved |= n > 0;
          if (!incoming.bytes().hasRemaining()) {
            receiveAt += takeFrame(incoming, buffer, receiveAt, sum, wire);
            expectFrame(receiveEnd - receiveAt, wire);
          }
        }
      }
      boolean sending = sendAt < sendEnd || (outgoing != null && outgoing.bytes().hasRemaining());
      boolean receiving = receiveAt < receiveEnd;
      if (!sending && !receiving) {
        return;
      }
      if (moved) {
        quietSince = System.nanoTime();
      } else {
        awaitRing(sending, receiving, quietSince);
      }
    }
  }

  private int write(ByteBuffer data) throws IOException {
    try {
      return next.write(data);
    } catch (IOException e) {
      throw new IOException("lost the connection to " + nextName + ": " + e.getMessage(), e);
    }
  }

  private int read(ByteBuffer data) throws IOException {
    try {
      return previous.read(data);
    } catch (IOException e) {
      throw new IOException("lost the connection to " + previousName + ": " + e.getMessage(), e);
    }
  }

  /** Blocks until the next task can take data or the previous one has sent some. */
  private void awaitRing(boolean sending, boolean receiving, long quietSince) throws IOException {
    long left = quietSince + timeoutNanos - System.nanoTime();
    if (left > 0) {
      if ((sending && nextRing != null) || (receiving && previousRing != null)) {
        awaitShared(sending, receiving, quietSince);
      } else {
        interest(next, sending ? SelectionKey.OP_WRITE : 0);
        interest(previous, receiving ? SelectionKey.OP_READ : 0);
        select(left, receiving ? previousName : nextName);
      }
    }
    if (System.nanoTime() - quietSince >= timeoutNanos) {
      throw new SocketTimeoutException(
          receiving
              ? "no data from " + previousName + " for " + seconds() + " (is its executor lost?)"
              : nextName + " took no data for " + seconds() + " (is its executor lost?)");
    }
  }

  /**
   * Waits a little for a shared memory link, which has no wake-up: spins at first (the neighbour is
   * usually mid-transfer, or a few microseconds from it), then yields, then naps, checking before
   * each nap that the neighbours it waits for are still there, so that a lost task is noticed at
   * once.
   */
  private void awaitShared(boolean sending, boolean receiving, long quietSince) throws IOException {
    long quiet = System.nanoTime() - quietSince;
    if (!background && quiet < SPIN_NANOS) {
      Thread.onSpinWait();
    } else if (!background && quiet < YIELD_NANOS) {
      Thread.yield();
    } else {
      // A neighbour that has sent all it had may close before this task reads it: its end is news
      // only if the frames this task waits for are still not there once the end is seen.
      if (sending && nextRing != null && !open(next, nextName)) {
        throw closed(nextName);
      }
      if (receiving
          && previousRing != null
          && !open(previous, previousName)
          && previousRing.peek() < 0) {
        throw closed(previousName);
      }
      LockSupport.parkNanos(background ? BACKGROUND_PARK_NANOS : PARK_NANOS);
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedIOException("interrupted while waiting for " + previousName);
      }
    }
  }

  private static EOFException closed(String peer) {
    return new EOFException(peer + " closed the connection (its task failed?)");
  }

  /**
   * Whether the neighbour has not closed a connection that carries no data (its link shares
   * memory).
   */
  private boolean open(SocketChannel channel, String peer) throws IOException {
    int n;
    try {
      n = channel.read(probe.clear());
    } catch (IOException e) {
      throw new IOException("lost the connection to " + peer + ": " + e.getMessage(), e);
    }
    if (n > 0) {
      throw new IOException(
          peer + " sent data on a connection that shares memory: the ring is out of step");
    }
    return n == 0;
  }

  /** Encodes up to a frame's worth of {@code buffer[at, end)} into {@code frame}. */
  private int putFrame(Frame frame, float[] buffer, int at, int end, Wire wire) {
    int count = Math.min(frame.capacity(), end - at);
    ByteBuffer bytes = frame.bytes().clear();
    bytes.putInt(wire.magic).putInt(framesSent++).putInt(at).putInt(count);
    if (wire != Wire.BF16) {
      frame.floats().clear();
      frame.floats().put(buffer, at, count);
    } else {
      for (int i = 0; i < count; i++) {
        frame.halves().put(i, toBf16(buffer[at + i]));
      }
    }
    bytes.position(HEADER_BYTES + wire.bytes * count).flip();
    return count;
  }

  private void expectFrame(int remaining, Wire wire) {
    expect(incoming, remaining, wire);
  }

  /** Limits {@code frame} to the frame due next when {@code remaining} values are to come. */
  private static void expect(Frame frame, int remaining, Wire wire) {
    int count = Math.min(frame.capacity(), remaining);
    frame.bytes().clear().limit(HEADER_BYTES + wire.bytes * count);
  }

  /** Checks the received {@code frame}'s header and sums or copies its values into the buffer. */
  private int takeFrame(Frame frame, float[] buffer, int at, boolean sum, Wire wire)
      throws IOException {
    ByteBuffer bytes = frame.bytes();
    int count = (bytes.limit() - HEADER_BYTES) / wire.bytes;
    int magic = bytes.getInt(0);
    int sequence = bytes.getInt(4);
    int offset = bytes.getInt(8);
    int length = bytes.getInt(12);
    if (magic != wire.magic) {
      throw new IOException(
          previousName
              + " sent another wire format than "
              + wire
              + ": are all tasks set up alike?");
    }
    if (sequence != framesReceived || offset != at || length != count) {
      throw new IOException(
          String.format(
              Locale.ROOT,
              "%s sent frame %d of %d values at %d where frame %d of %d values at %d was due: the"
                  + " ring is out of step",
              previousName,
              sequence,
              length,
              offset,
              framesReceived,
              count,
              at));
    }
    framesReceived++;
    if (wire == Wire.BF16) {
      for (int i = 0; i < count; i++) {
        float value = fromBf16(frame.halves().get(i));
        buffer[at + i] = sum ? buffer[at + i] + value : value;
      }
    } else if (sum) {
      frame.floats().clear();
      frame.floats().get(received, 0, count);
      for (int i = 0; i < count; i++) {
        buffer[at + i] += received[i];
      }
    } else {
      frame.floats().clear();
      frame.floats().get(buffer, at, count);
    }
    return count;
  }

  /** fp32 to bfloat16, rounding to nearest even; NaN stays NaN. */
  static short toBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  static float fromBf16(short value) {
    return Float.intBitsToFloat(value << 16);
  }

  // ---- connection set-up ----

  /** An accepted connection whose hello was well formed and which has been sent our challenge. */
  private record Candidate(SocketChannel channel, String address, byte[] nonce) {}

  private SocketChannel dial(InetSocketAddress address, long deadline) throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.configureBlocking(false);
      if (!channel.connect(address)) {
        await(channel, SelectionKey.OP_CONNECT, deadline, "cannot connect to " + nextName);
        channel.finishConnect();
      }
      return channel;
    } catch (SocketTimeoutException e) {
      channel.close();
      throw e;
    } catch (IOException e) {
      channel.close();
      throw new IOException("cannot connect to " + nextName + ": " + e.getMessage(), e);
    }
  }

  /**
   * Accepts connections until one says hello as the previous task, and sends it our challenge;
   * strangers are noted in {@code refusals} and closed.
   */
  private Candidate accept(
      ServerSocketChannel listener, int previousRank, Mac mac, long deadline, List<String> refusals)
      throws IOException {
    while (true) {
      SocketChannel channel = listener.accept();
      if (channel == null) {
        await(listener, SelectionKey.OP_ACCEPT, deadline, noConnection(refusals));
        continue;
      }
      String address = describe((InetSocketAddress) channel.getRemoteAddress());
      try {
        channel.configureBlocking(false);
        ByteBuffer hello = read(channel, 8 + NONCE_BYTES, deadline, address);
        int magic = hello.getInt();
        int claimed = hello.getInt();
        if (magic != HELLO_MAGIC) {
          refuse(channel, refusals, address + ": not a Kindling ring peer");
          continue;
        }
        if (claimed != previousRank) {
          refuse(channel, refusals, address + ": said it is task " + claimed);
          continue;
        }
        byte[] nonce = nonce();
        ByteBuffer challenge = ByteBuffer.allocate(4 + NONCE_BYTES + MAC_BYTES);
        challenge.order(ByteOrder.LITTLE_ENDIAN).putInt(rank).put(nonce);
        challenge.put(sign(mac, "listener", rank, bytes(hello, NONCE_BYTES))).flip();
        write(channel, challenge, deadline, address);
        return new Candidate(channel, address, nonce);
      } catch (SocketTimeoutException e) {
        throw new SocketTimeoutException(noConnection(refusals) + "; " + e.getMessage());
      } catch (IOException e) {
        refuse(channel, refusals, address + ": " + e.getMessage());
      }
    }
  }

  /** Checks the candidate's proof; on a wrong one refuses it and accepts the next candidate. */
  private SocketChannel authenticate(
      Candidate candidate, ServerSocketChannel listener, int previousRank, Mac mac, long deadline)
      throws IOException {
    List<String> refusals = new ArrayList<>();
    while (true) {
      try {
        byte[] proof =
            bytes(read(candidate.channel, MAC_BYTES, deadline, candidate.address), MAC_BYTES);
        if (MessageDigest.isEqual(proof, sign(mac, "connector", previousRank, candidate.nonce))) {
          write(candidate.channel, ByteBuffer.wrap(new byte[] {ACCEPTED}), deadline, previousName);
          return candidate.channel;
        }
        refuse(candidate.channel, refusals, candidate.address + ": wrong job secret");
      } catch (SocketTimeoutException e) {
        closeQuietly(candidate.channel);
        throw new SocketTimeoutException(noConnection(refusals) + "; " + e.getMessage());
      } catch (IOException e) {
        refuse(candidate.channel, refusals, candidate.address + ": " + e.getMessage());
      }
      candidate = accept(listener, previousRank, mac, deadline, refusals);
    }
  }

  private String noConnection(List<String> refusals) {
    return "no authenticated connection from "
        + previousName
        + " within "
        + seconds()
        + (refusals.isEmpty() ? "" : " (refused " + String.join(", ", refusals) + ")");
  }

  private static void refuse(SocketChannel channel, List<String> refusals, String why) {
    refusals.add(why);
    try {
      channel.write(ByteBuffer.wrap(new byte[] {REFUSED})); // best effort: it may be gone
    } catch (IOException ignored) {
      // closing below is all that matters
    }
    closeQuietly(channel);
  }

  private ByteBuffer read(SocketChannel channel, int bytes, long deadline, String peer)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer);
      if (n < 0) {
        throw new EOFException(peer + " closed the connection during the handshake");
      }
      if (n == 0) {
        await(channel, SelectionKey.OP_READ, deadline, "no handshake reply from " + peer);
      }
    }
    return buffer.flip();
  }

  private void write(SocketChannel channel, ByteBuffer buffer, long deadline, String peer)
      throws IOException {
    while (buffer.hasRemaining()) {
      if (channel.write(buffer) == 0) {
        await(channel, SelectionKey.OP_WRITE, deadline, peer + " took no handshake data");
      }
    }
  }

  private void await(SelectableChannel channel, int ops, long deadline, String timeoutMessage)
      throws IOException {
    SelectionKey key = interest(channel, ops);
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new SocketTimeoutException(timeoutMessage + " within " + seconds());
        }
        select(left, timeoutMessage);
        if (selector.selectedKeys().remove(key)) {
          return;
        }
      }
    } finally {
      if (key.isValid()) {
        key.interestOps(0);
      }
    }
  }

  private SelectionKey interest(SelectableChannel channel, int ops) throws IOException {
    SelectionKey key = channel.keyFor(selector);
    if (key == null) {
      return channel.register(selector, ops);
    }
    key.interestOps(ops);
    return key;
  }

  private void select(long nanos, String waitingFor) throws IOException {
    selector.selectedKeys().clear();
    selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted while waiting: " + waitingFor);
    }
  }

  private String seconds() {
    return BigDecimal.valueOf(timeoutNanos / 1e9).stripTrailingZeros().toPlainString() + " s";
  }

  private static ByteBuffer hello(int rank, byte[] nonce) {
    ByteBuffer b = ByteBuffer.allocate(8 + NONCE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    return b.putInt(HELLO_MAGIC).putInt(rank).put(nonce).flip();
  }

  private static Mac mac(byte[] secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM lacks HmacSHA256", e);
    }
  }

  /** The proof that the task {@code rank}, in {@code role}, holds the secret: bound to a nonce. */
  private static byte[] sign(Mac mac, String role, int rank, byte[] nonce) {
    mac.update(role.getBytes(StandardCharsets.US_ASCII));
    mac.update(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(rank).array());
    return mac.doFinal(nonce);
  }

  private static byte[] nonce() {
    byte[] nonce = new byte[NONCE_BYTES];
    NONCES.nextBytes(nonce);
    return nonce;
  }

  private static byte[] bytes(ByteBuffer buffer, int count) {
    byte[] b = new byte[count];
    buffer.get(b);
    return b;
  }

  private static ByteBuffer afterHeader(ByteBuffer frame) {
    return frame.position(HEADER_BYTES).slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  private int mod(int i) {
    return Math.floorMod(i, size);
  }

  private static String describe(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }

  private static void closeQuietly(AutoCloseable channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (Exception ignored) {
        // nothing left to do with it
      }
    }
  }
}
