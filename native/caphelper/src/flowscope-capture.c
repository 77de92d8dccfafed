/*
 * flowscope-capture: the only Flowscope program that needs CAP_NET_RAW (the dumpcap model).
 *
 * Opens one interface with libpcap, drops every privilege and capability, then applies the BPF
 * filter and streams the packets as a pcap file on stdout, flushed per batch, to the
 * unprivileged capture worker. SIGTERM ends it after the packets captured so far are written. Status goes to stderr, one line each:
 *   ready DLT SNAPLEN             the pcap header is on stdout; packets follow
 *   stats RECEIVED DROPPED IFDROP pcap_stats, every second, on SIGUSR1 and at the end
 *   error CODE MESSAGE            then exit 1 (CODE as the app's CaptureErrorCode)
 * Exits when stdout's reader goes away, on SIGTERM/SIGINT/SIGHUP, or on a capture error.
 *
 * Every argument is untrusted (the program is executable by a group with a capability): fixed
 * options only, each validated, nothing else accepted. `--check` only tests the capability.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>

#define MAX_FILTER 16384
#define MIN_SNAPLEN 1
#define MAX_SNAPLEN 262144
#define MIN_BUFFER (64 * 1024)
#define MAX_BUFFER (1024 * 1024 * 1024)
#define STATS_MS 1000
/* The kernel hands packets over in blocks, each at most this long after its first packet (as
   tcpdump and iftop read without immediate mode, with 1000 ms): four wake-ups a second on a quiet
   link instead of one per packet, each of which costs the capture worker a few more. The live
   view ticks once a second, 400 ms into it (TICK_PHASE_MS), so this delay is never seen. */
#define BLOCK_MS 250

static volatile sig_atomic_t stopping = 0;
static volatile sig_atomic_t stats_wanted = 0;

static void on_signal(int sig) {
  if (sig == SIGUSR1)
    stats_wanted = 1;
  else
    stopping = 1;
}

/* One status line on stderr; control characters in messages (libpcap text, names) become '?'. */
static void status(const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = strlen(line);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)line[i];
    if (c < 0x20 || c == 0x7f) line[i] = '?';
  }
  line[len] = '\n';
  ssize_t ignored = write(2, line, len + 1);
  (void)ignored;
}

static void fail(const char *code, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* libpcap messages may end in a newline; keep the line protocol one line per message. */
  msg[strcspn(msg, "\r\n")] = '\0';
  status("error %s %s", code, msg);
  exit(1);
}

static void usage(const char *why) {
  status("error USAGE %s; usage: flowscope-capture -i IFACE [-f FILTER] [-s SNAPLEN] [-B BYTES] [-p] | --check", why);
  exit(2);
}

/* Strict decimal in [lo, hi]: no sign, spaces, hex or trailing text. */
static long parse_int(const char *opt, const char *s, long lo, long hi) {
  if (!*s || strlen(s) > 10) usage("bad number");
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9') usage("bad number");
  long v = strtol(s, NULL, 10);
  if (v < lo || v > hi) {
    char why[96];
    snprintf(why, sizeof why, "%s must be %ld..%ld", opt, lo, hi);
    usage(why);
  }
  return v;
}

/* The kernel's dev_valid_name() rules, plus libpcap's "any": 1..15 bytes, no '/', ':' or space. */
static int valid_ifname(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, "..") || s[0] == '-') return 0;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':') return 0;
  }
  return 1;
}

/* Filters: printable ASCII (and spaces), bounded; pcap_compile parses the rest unprivileged. */
static int valid_filter(const char *s) {
  size_t n = strlen(s);
  if (n > MAX_FILTER) return 0;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if ((c < 0x20 && c != '\t') || c >= 0x7f) return 0;
  }
  return 1;
}

static const char *activate_code(int rc) {
  switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return "PERMISSION_DENIED";
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return "NO_SUCH_DEVICE";
    case PCAP_ERROR_IFACE_NOT_UP:
      return "INTERFACE_DOWN";
    default:
      return "CAPTURE_FAILED";
  }
}

/*
 * After the socket is open nothing here needs a privilege: leave setuid (if installed so), clear
 * every capability set (effective, permitted, inheritable, ambient) and forbid regaining any.
 */
static void drop_privileges(void) {
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (geteuid() == 0 && uid != 0 && setgroups(0, NULL) < 0) fail("CAPTURE_FAILED", "setgroups: %s", strerror(errno));
  if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
    fail("CAPTURE_FAILED", "cannot drop user privileges: %s", strerror(errno));
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &hdr, data) < 0) fail("CAPTURE_FAILED", "cannot drop capabilities: %s", strerror(errno));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("CAPTURE_FAILED", "no_new_privs: %s", strerror(errno));
  memset(data, 0xff, sizeof data);
  if (syscall(SYS_capget, &hdr, data) < 0 || data[0].effective || data[0].permitted || data[1].effective ||
      data[1].permitted)
    fail("CAPTURE_FAILED", "capabilities still held after dropping them");
}

/* --check: can this process open a packet socket (CAP_NET_RAW)? Prints "ok" or an error line. */
static int check(void) {
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    if (errno == EPERM || errno == EACCES) fail("PERMISSION_DENIED", "no CAP_NET_RAW: %s", strerror(errno));
    fail("CAPTURE_FAILED", "packet socket: %s", strerror(errno));
  }
  close(fd);
  drop_privileges();
  printf("ok\n");
  return 0;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void report_stats(pcap_t *p) {
  struct pcap_stat ps;
  if (pcap_stats(p, &ps) == 0) status("stats %u %u %u", ps.ps_recv, ps.ps_drop, ps.ps_ifdrop);
}

int main(int argc, char **argv) {
  const char *iface = NULL, *filter = NULL;
  long snaplen = 128, buffer = 32L * 1024 * 1024;
  int promisc = 1, seen_s = 0, seen_B = 0, seen_p = 0;

  /* Only stdio is ours: close anything inherited (a leaked descriptor must not reach libpcap). */
  for (int fd = 3; fd < 1024; fd++) close(fd);
  if (argc == 2 && !strcmp(argv[1], "--check")) return check();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-p")) {
      if (seen_p++) usage("-p given twice");
      promisc = 0;
      continue;
    }
    if (strlen(a) != 2 || a[0] != '-' || !strchr("ifsB", a[1])) usage("unknown argument");
    if (i + 1 >= argc) usage("option without a value");
    const char *v = argv[++i];
    switch (a[1]) {
      case 'i':
        if (iface) usage("-i given twice");
        if (!valid_ifname(v)) usage("bad interface name");
        iface = v;
        break;
      case 'f':
        if (filter) usage("-f given twice");
        if (!valid_filter(v)) usage("bad filter text (printable ASCII, at most 16384 bytes)");
        filter = v;
        break;
      case 's':
        if (seen_s++) usage("-s given twice");
        snaplen = parse_int("-s", v, MIN_SNAPLEN, MAX_SNAPLEN);
        break;
      case 'B':
        if (seen_B++) usage("-B given twice");
        buffer = parse_int("-B", v, MIN_BUFFER, MAX_BUFFER);
        break;
    }
  }
  if (!iface) usage("-i IFACE is required");

  /* Die with the worker that started us; stdout closing also ends us (see the loop). */
  prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a blocked write returns so we can stop */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  /* SIGUSR1 asks for a stats line now. Blocked except inside ppoll: no race with the wait, and
     it never cuts a write short. */
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t usr1, waitmask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &waitmask);
  sigdelset(&waitmask, SIGUSR1);
  signal(SIGPIPE, SIG_IGN);

  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t *p = pcap_create(iface, errbuf);
  if (!p) fail("CAPTURE_FAILED", "%s", errbuf);
  pcap_set_snaplen(p, (int)snaplen);
  pcap_set_promisc(p, promisc);
  pcap_set_buffer_size(p, (int)buffer);
  pcap_set_timeout(p, BLOCK_MS);
  int rc = pcap_activate(p);
  if (rc < 0) {
    const char *msg = pcap_geterr(p);
    fail(activate_code(rc), "%s", msg && *msg ? msg : pcap_statustostr(rc));
  }
  drop_privileges();

  if (filter && *filter) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) fail("BAD_FILTER", "%s", pcap_geterr(p));
    if (pcap_setfilter(p, &prog) < 0) fail("BAD_FILTER", "%s", pcap_geterr(p));
    pcap_freecode(&prog);
  }
  if (pcap_setnonblock(p, 1, errbuf) < 0) fail("CAPTURE_FAILED", "%s", errbuf);
  int pfd = pcap_get_selectable_fd(p);
  if (pfd < 0) fail("CAPTURE_FAILED", "no selectable descriptor for %s", iface);

  static char outbuf[1 << 20];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  pcap_dumper_t *d = pcap_dump_fopen(p, stdout);
  if (!d || pcap_dump_flush(d) < 0) fail("CAPTURE_FAILED", "cannot write the capture to stdout");
  status("ready %d %d", pcap_datalink(p), pcap_snapshot(p));

  long next_stats = now_ms() + STATS_MS;
  int code = 0;
  while (!stopping) {
    /* stdout with no events asked: POLLERR/POLLHUP tell us the reader closed the pipe. */
    struct pollfd fds[2] = {{pfd, POLLIN, 0}, {1, 0, 0}};
    struct timespec wait = {STATS_MS / 1000, (STATS_MS % 1000) * 1000000L};
    int n = ppoll(fds, 2, &wait, &waitmask);
    if (n < 0 && errno != EINTR) fail("CAPTURE_FAILED", "poll: %s", strerror(errno));
    if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) break;
    int got = pcap_dispatch(p, -1, pcap_dump, (u_char *)d);
    if (got == PCAP_ERROR) {
      status("error CAPTURE_FAILED %s", pcap_geterr(p));
      code = 1;
      break;
    }
    if (got > 0 && pcap_dump_flush(d) < 0) break; /* reader gone (EPIPE) or a signal */
    long now = now_ms();
    if (now >= next_stats || stats_wanted) {
      stats_wanted = 0;
      report_stats(p);
      next_stats = now + STATS_MS;
    }
  }
  if (stopping && code == 0) {
    /* Asked to stop: hand over what the kernel still holds, so the capture ends with every packet
       it saw before the signal. Its last block is retired at most BLOCK_MS after it opened. */
    long end = now_ms() + BLOCK_MS + 20;
    for (long left; (left = end - now_ms()) > 0;) {
      struct pollfd f = {pfd, POLLIN, 0};
      struct timespec wait = {left / 1000, (left % 1000) * 1000000L};
      ppoll(&f, 1, &wait, &waitmask);
      int got = pcap_dispatch(p, -1, pcap_dump, (u_char *)d);
      if (got < 0 || (got > 0 && pcap_dump_flush(d) < 0)) break;
    }
  }
  report_stats(p);
  /* stdout may be a dead pipe: skip stdio's flush at exit and leave without blocking on it. */
  pcap_close(p);
  _exit(code);
}
