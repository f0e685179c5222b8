package io.kindling.sync;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A one-way frame pipe between two tasks on one host: a single-producer, single-consumer ring of
 * frame slots in a shared memory file. The producer encodes a frame straight into a free slot and
 * the consumer decodes it straight out, with no system call and no copy in between; a loopback
 * socket costs two more copies through the kernel and a wake-up per transfer, and on this kind of
 * virtual machine several times longer after the link has been idle.
 *
 * <p>The consumer creates the file (owner-only permissions) and names it to the producer over the
 * ring's authenticated connection; once both have mapped it, the consumer removes the name, so
 * nothing outlives the two mappings. The file is written through before it is mapped, so a full
 * {@code /dev/shm} fails here with an error instead of faulting on the first transfer.
 *
 * <p>Layout: the producer's count of frames published at offset 0 and the consumer's count of
 * frames released at offset 64 (apart, so the two sides do not share a cache line), each stored
 * with release and read with acquire semantics; then {@link #SLOTS} page-aligned slots.
 */
final class SharedRing implements AutoCloseable {
  /** Frames in flight at most. */
  static final int SLOTS = 8;

  private static final Path DIRECTORY = Path.of("/dev/shm");
  private static final int PUBLISHED = 0;
  private static final int RELEASED = 64;
  private static final int PAGE = 4096;
  private static final VarHandle COUNTS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final MappedByteBuffer map;
  private final Path file;
  private final ByteBuffer[] slots = new ByteBuffer[SLOTS];

  /** Frames this side has handled: published by the producer, released by the consumer. */
  private long handled;

  private boolean unmapped;

  private SharedRing(MappedByteBuffer map, Path file, int slotBytes) {
    this.map = map;
    this.file = file;
    int stride = stride(slotBytes);
    for (int i = 0; i < SLOTS; i++) {
      slots[i] = map.slice(PAGE + i * stride, slotBytes).order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  /** Whether this host offers shared memory files. */
  static boolean available() {
    return Files.isDirectory(DIRECTORY) && Files.isWritable(DIRECTORY);
  }

  /** The consumer's side: a new, zeroed ring of slots of {@code slotBytes} in a new file. */
  static SharedRing create(int slotBytes) throws IOException {
    Path file = Files.createTempFile(DIRECTORY, "kindling-ring-", "");
    long size = fileBytes(slotBytes);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer zeros = ByteBuffer.allocate(1 << 16);
      for (long at = 0; at < size; at += zeros.capacity()) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), size - at));
        while (zeros.hasRemaining()) {
          channel.write(zeros, at + zeros.position());
        }
      }
      return new SharedRing(channel.map(FileChannel.MapMode.READ_WRITE, 0, size), file, slotBytes);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw new IOException("cannot set up shared memory in " + file + ": " + e.getMessage(), e);
    }
  }

  /** The producer's side of the ring the consumer created in {@code file}. */
  static SharedRing open(Path file, int slotBytes) throws IOException {
    if (!DIRECTORY.equals(file.getParent())) {
      throw new IOException("the peer named a shared memory file outside " + DIRECTORY);
    }
    long size = fileBytes(slotBytes);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      if (channel.size() != size) {
        throw new IOException("it holds " + channel.size() + " bytes where a ring holds " + size);
      }
      return new SharedRing(channel.map(FileChannel.MapMode.READ_WRITE, 0, size), null, slotBytes);
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot map shared memory " + file + ": " + e.getMessage(), e);
    }
  }

  private static int stride(int slotBytes) {
    return (slotBytes + PAGE - 1) / PAGE * PAGE;
  }

  private static long fileBytes(int slotBytes) {
    return PAGE + (long) SLOTS * stride(slotBytes);
  }

  /** The file the consumer created: the producer's half of the set-up. */
  Path file() {
    return file;
  }

  /** Slot {@code i}'s bytes (little-endian), for views made once. */
  ByteBuffer slot(int i) {
    return slots[i];
  }

  /** The producer's side: the slot to fill next, or -1 while all are in flight. */
  int claim() {
    long released = (long) COUNTS.getAcquire(map, RELEASED);
    return handled - released < SLOTS ? (int) (handled % SLOTS) : -1;
  }

  /** Hands the claimed slot to the consumer. */
  void publish() {
    COUNTS.setRelease(map, PUBLISHED, ++handled);
  }

  /** The consumer's side: the slot holding the next frame, or -1 while none has arrived. */
  int peek() {
    long published = (long) COUNTS.getAcquire(map, PUBLISHED);
    return published > handled ? (int) (handled % SLOTS) : -1;
  }

  /** Gives the peeked slot back to the producer. */
  void release() {
    COUNTS.setRelease(map, RELEASED, ++handled);
  }

  /** Removes the file's name: the memory lives on until both sides unmap it. */
  void unlink() throws IOException {
    if (file != null) {
      Files.deleteIfExists(file);
    }
  }

  /** Unmaps the ring now rather than when the collector finds it: rounds make new rings. */
  @Override
  public void close() throws IOException {
    unlink();
    if (!unmapped) {
      unmapped = true;
      Unmapper.unmap(map);
    }
  }

  /**
   * Java 17 has no public way to unmap a buffer; {@code sun.misc.Unsafe.invokeCleaner} (in the
   * exported {@code jdk.unsupported} module) does it. Where it is missing the mapping is left to
   * the collector, which is correct, only later.
   */
  private static final class Unmapper {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
      Object unsafe = null;
      Method invokeCleaner = null;
      try {
        Class<?> type = Class.forName("sun.misc.Unsafe");
        Field field = type.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        unsafe = field.get(null);
        invokeCleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
      } catch (ReflectiveOperationException | RuntimeException e) {
        unsafe = null;
        invokeCleaner = null;
      }
      UNSAFE = unsafe;
      INVOKE_CLEANER = invokeCleaner;
    }

    static void unmap(MappedByteBuffer map) {
      if (INVOKE_CLEANER != null) {
        try {
          INVOKE_CLEANER.invoke(UNSAFE, map);
        } catch (ReflectiveOperationException | RuntimeException e) {
          // left to the collector
        }
      }
    }
  }
}
