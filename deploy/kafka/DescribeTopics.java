// An outside view of the cluster's replication, through Apache Kafka's own Java AdminClient (not the
// aiokafka client the services use), so a check does not trust the code it checks.
//
//   java -cp "$KAFKA_LIBS/*" DescribeTopics.java BOOTSTRAP [PREFIX] [EXPECTED_RF]
//
// Prints, for every topic whose name starts with PREFIX (by default every topic, the broker's own
// __consumer_offsets and faust's changelog and leader topics included), its partitions, replicas and in-sync replicas per
// partition, min.insync.replicas and unclean.leader.election.enable. Exit status 1 when any such
// topic has fewer than EXPECTED_RF (default 3) replicas or in-sync replicas on a partition, a
// min.insync.replicas under 2, or unclean leader election on; 2 when the cluster cannot be read.
// Run by `cluster.sh describe` (and so by `make cluster-check`) with the JDK's single-file launcher.

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

public class DescribeTopics {
  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: DescribeTopics BOOTSTRAP [PREFIX] [EXPECTED_RF]");
      System.exit(2);
    }
    String prefix = args.length > 1 ? args[1] : "";
    int expected = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    // the AdminClient logs through slf4j to reload4j: only its errors belong beside the report
    org.apache.log4j.BasicConfigurator.configure();
    org.apache.log4j.Logger.getRootLogger().setLevel(org.apache.log4j.Level.ERROR);
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    try (Admin admin = Admin.create(props)) {
      System.exit(report(admin, prefix, expected));
    } catch (Exception e) {
      System.err.println("cannot describe the cluster at " + args[0] + ": " + e);
      System.exit(2);
    }
  }

  static int report(Admin admin, String prefix, int expected) throws Exception {
    Set<String> names = new TreeSet<>();
    for (String name : admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS)) {
      if (name.startsWith(prefix)) names.add(name);
    }
    if (names.isEmpty()) {
      System.err.println("PROBLEM no topic starts with '" + prefix + "'");
      return 1;
    }
    Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
    List<ConfigResource> resources = new ArrayList<>();
    for (String name : names) resources.add(new ConfigResource(ConfigResource.Type.TOPIC, name));
    Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
    List<String> problems = new ArrayList<>();
    for (String name : names) {
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name));
      String minIsr = config.get("min.insync.replicas").value();
      String unclean = config.get("unclean.leader.election.enable").value();
      int fewestReplicas = Integer.MAX_VALUE;
      int fewestInSync = Integer.MAX_VALUE;
      for (TopicPartitionInfo p : topics.get(name).partitions()) {
        fewestReplicas = Math.min(fewestReplicas, p.replicas().size());
        fewestInSync = Math.min(fewestInSync, p.isr().size());
      }
      int partitions = topics.get(name).partitions().size();
      System.out.printf(
          "%s: %d partitions, replicas %d, in sync %d, min.insync.replicas %s, unclean.leader.election %s%n",
          name, partitions, fewestReplicas, fewestInSync, minIsr, unclean);
      if (fewestReplicas < expected) problems.add(name + ": " + fewestReplicas + " replicas, expected " + expected);
      if (fewestInSync < expected) problems.add(name + ": only " + fewestInSync + " replicas in sync");
      if (Integer.parseInt(minIsr) < 2) problems.add(name + ": min.insync.replicas " + minIsr);
      if (Boolean.parseBoolean(unclean)) problems.add(name + ": unclean leader election is on");
    }
    for (String line : problems) System.err.println("PROBLEM " + line);
    return problems.isEmpty() ? 0 : 1;
  }
}
