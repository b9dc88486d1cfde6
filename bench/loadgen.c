/* Bounded load generator for bench/handoff.mjs: keeps <concurrency> short
 * connections in flight to 127.0.0.1:<port> for <seconds>; each connects,
 * reads the reply until EOF and closes. Prints "<completed> <errors> <seconds>".
 * Usage: loadgen <port> <concurrency> <seconds> */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in target;

static int open_one(int ep) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&target, sizeof(target)) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int concurrency = atoi(argv[2]);
  double seconds = atof(argv[3]);
  memset(&target, 0, sizeof(target));
  target.sin_family = AF_INET;
  target.sin_port = htons(atoi(argv[1]));
  inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);
  int ep = epoll_create1(0);
  long completed = 0, errors = 0;
  int inflight = 0;
  double start = now(), end = start + seconds;
  for (int i = 0; i < concurrency; i++) inflight += open_one(ep) >= 0;
  struct epoll_event events[256];
  char buf[4096];
  while (inflight > 0) {
    int n = epoll_wait(ep, events, 256, 1000);
    if (n < 0 && errno != EINTR) break;
    int stopping = now() >= end;
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r > 0) continue;
      if (r < 0 && errno == EAGAIN) continue;
      if (r == 0) completed++; else errors++;
      close(fd);
      inflight--;
      if (!stopping) inflight += open_one(ep) >= 0;
    }
    if (now() > end + 10) break;
  }
  printf("%ld %ld %.6f\n", completed, errors, now() - start);
  return 0;
}
