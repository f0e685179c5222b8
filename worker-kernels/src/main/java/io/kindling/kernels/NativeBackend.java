package io.kindling.kernels;

/**
 * Picks the libnd4j build the class path carries. JavaCPP looks for natives under {@code
 * linux-x86_64<extension>}; the job jar ships the oneDNN/AVX2 build (much faster convolutions),
 * whose extension must be named before ND4J first loads. Every Kindling entry into ND4J calls
 * {@link #select()} first, so drivers and executors need no extra JVM flag.
 */
public final class NativeBackend {
  static final String PROPERTY = "org.bytedeco.javacpp.platform.extension";
  private static final String[] EXTENSIONS = {"-onednn-avx2", "-onednn", ""};

  static {
    if (System.getProperty(PROPERTY) == null) {
      for (String extension : EXTENSIONS) {
        String lib =
            "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64" + extension + "/libnd4jcpu.so";
        if (NativeBackend.class.getClassLoader().getResource(lib) != null) {
          System.setProperty(PROPERTY, extension);
          break;
        }
      }
    }
  }

  private NativeBackend() {}

  /** Runs the class initialiser above (once); cheap after that. */
  public static void select() {}

  /** The extension in use, e.g. {@code -onednn-avx2}, or empty for the plain build. */
  public static String extension() {
    return System.getProperty(PROPERTY, "");
  }
}
