package io.kindling.it;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * The main class of the mini-cluster JVM: a real HDFS (one NameNode, one DataNode) and, when asked,
 * a real YARN (one ResourceManager, N NodeManagers), all on 127.0.0.1 and ephemeral ports. It runs
 * on Hadoop's shaded mini-cluster class path, not Spark's (see the pom), so {@link
 * MiniClusterProcess} starts it in a JVM of its own.
 *
 * <p>Usage: {@code MiniCluster CONF_DIR NODE_MANAGERS}. It writes the client configuration ({@code
 * core-site.xml}, {@code hdfs-site.xml}, and {@code yarn-site.xml} with YARN) into CONF_DIR, prints
 * {@code mini-cluster: ready hdfs://...}, and runs until its standard input closes (the test JVM
 * closed it or died) or it is sent SIGTERM. Mini-cluster folders go under the working directory.
 */
public final class MiniCluster {
  static final String READY = "mini-cluster: ready ";

  private MiniCluster() {}

  public static void main(String[] args) {
    try {
      run(new File(args[0]), Integer.parseInt(args[1]));
    } catch (Throwable t) {
      t.printStackTrace();
      // HDFS's non-daemon threads would keep a half-started JVM alive.
      Runtime.getRuntime().halt(1);
    }
  }

  private static void run(File confDir, int nodeManagers) throws Exception {
    File work = new File(System.getProperty("user.dir"));
    Configuration dfsConf = new Configuration();
    dfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(work, "dfs").getPath());
    MiniDFSCluster dfs = new MiniDFSCluster.Builder(dfsConf).numDataNodes(1).build();
    dfs.waitActive();
    String hdfs = "hdfs://127.0.0.1:" + dfs.getNameNodePort();

    MiniYARNCluster yarn = nodeManagers > 0 ? startYarn(hdfs, nodeManagers) : null;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // Stopping YARN kills its containers. A clean HDFS shutdown takes ~35 s and
                  // its data is thrown away anyway: halt instead.
                  if (yarn != null) {
                    yarn.stop();
                  }
                  Runtime.getRuntime().halt(0);
                }));

    confDir.mkdirs();
    writeSite(confDir, "core-site.xml", Map.of("fs.defaultFS", hdfs));
    writeSite(confDir, "hdfs-site.xml", Map.of("dfs.replication", "1"));
    if (yarn != null) {
      Configuration live = yarn.getConfig();
      Configuration client = new Configuration(false);
      for (String key :
          new String[] {
            YarnConfiguration.RM_HOSTNAME,
            YarnConfiguration.RM_ADDRESS,
            YarnConfiguration.RM_SCHEDULER_ADDRESS,
            YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS,
            YarnConfiguration.RM_ADMIN_ADDRESS,
            YarnConfiguration.RM_WEBAPP_ADDRESS
          }) {
        client.set(key, live.get(key));
      }
      write(confDir, "yarn-site.xml", client);
    }
    System.out.println(READY + hdfs);
    System.out.flush();

    // Stop when the test JVM closes our standard input, or dies.
    while (System.in.read() >= 0) {
      // Nothing is ever sent; only the end of input matters.
    }
    System.exit(0);
  }

  private static MiniYARNCluster startYarn(String hdfs, int nodeManagers) throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    conf.set("fs.defaultFS", hdfs);
    // The shaded jar has no capacity-scheduler.xml: one queue, as Spark's own YARN suites set it.
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
    conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
    conf.set("yarn.scheduler.capacity.root.default.user-limit-factor", "1");
    conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
    conf.set("yarn.scheduler.capacity.node-locality-delay", "-1");
    conf.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
    conf.set("yarn.resourcemanager.hostname", "127.0.0.1");
    conf.set("yarn.nodemanager.resource.memory-mb", "4096");
    conf.set("yarn.nodemanager.resource.cpu-vcores", "2");
    conf.set("yarn.scheduler.minimum-allocation-mb", "256");
    // A shared 2-core test machine: no memory policing, and never call a busy disk unhealthy.
    conf.set("yarn.nodemanager.pmem-check-enabled", "false");
    conf.set("yarn.nodemanager.vmem-check-enabled", "false");
    conf.set(
        "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100");
    MiniYARNCluster yarn = new MiniYARNCluster("kindling", nodeManagers, 1, 1);
    yarn.init(conf);
    yarn.start();
    // start() can return before the ResourceManager has put its bound port into the config.
    for (int i = 0; yarn.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0"); i++) {
      if (i > 600) {
        throw new IllegalStateException("the ResourceManager did not bind within 60 s");
      }
      Thread.sleep(100);
    }
    if (!yarn.waitForNodeManagersToConnect(60_000)) {
      throw new IllegalStateException(
          "the " + nodeManagers + " NodeManagers did not register within 60 s");
    }
    return yarn;
  }

  private static void writeSite(File dir, String name, Map<String, String> values)
      throws IOException {
    Configuration conf = new Configuration(false);
    values.forEach(conf::set);
    write(dir, name, conf);
  }

  private static void write(File dir, String name, Configuration conf) throws IOException {
    File temp = new File(dir, name + ".tmp");
    try (OutputStream out = new FileOutputStream(temp)) {
      conf.writeXml(out);
    }
    if (!temp.renameTo(new File(dir, name))) {
      throw new IOException("cannot write " + new File(dir, name));
    }
  }
}
