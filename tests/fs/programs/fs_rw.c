// A WASI program for the writable-directory tests (tests/fs/fs_run_test.cc):
// argv[1] picks a scenario. Preopens: /data (rw), /other (rw), /ro (read-only).
//   apply   changes that the test then finds on the host
//   errnos  what each refused call answers; prints "ok" or the failed check
//   trap / fail / spin   change things, then trap / exit 3 / run forever
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// Raw imports, for arguments wasi-libc would never pass (lengths that
// cover a NUL, absolute paths).
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) int32_t
raw_path_open(int32_t fd, int32_t dirflags, const char* path, size_t len, int32_t oflags, int64_t rights,
              int64_t inheriting, int32_t fdflags, int32_t* out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_create_directory"))) int32_t
raw_mkdir(int32_t fd, const char* path, size_t len);

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      printf("failed at line %d: %s (errno %d)\n", __LINE__, #cond, errno); \
      exit(1);                                                   \
    }                                                            \
  } while (0)

static void put(const char* path, const char* text, const char* mode) {
  FILE* f = fopen(path, mode);
  CHECK(f != NULL);
  CHECK(fputs(text, f) >= 0);
  CHECK(fclose(f) == 0);
}

static int fails_with(int rc, int err) { return rc == -1 && errno == err; }

static void change_things(void) {
  put("/data/new.txt", "hello\n", "w");
  CHECK(unlink("/data/keep.txt") == 0);
}

static void apply(void) {
  put("/data/new.txt", "hello\n", "w");
  put("/data/mod.txt", "more\n", "a");
  put("/data/trunc.txt", "T", "w");
  CHECK(rename("/data/old.txt", "/data/renamed.txt") == 0);
  CHECK(unlink("/data/gone.txt") == 0);
  CHECK(unlink("/data/olddir/x.txt") == 0 && rmdir("/data/olddir") == 0);
  CHECK(mkdir("/data/newdir", 0755) == 0 && mkdir("/data/newdir/deep", 0755) == 0);
  put("/data/newdir/deep/f.txt", "deep\n", "w");
  // A file replaced by a directory while a descriptor still has it open:
  // the descriptor keeps the old file, the path names the directory.
  int fd = open("/data/swap", O_RDWR);
  CHECK(fd >= 0);
  CHECK(unlink("/data/swap") == 0 && mkdir("/data/swap", 0755) == 0);
  CHECK(write(fd, "orphan", 6) == 6);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
  CHECK(close(fd) == 0);
  put("/data/swap/in.txt", "inside\n", "w");
  // Positioned I/O, seek, tell, truncate, sync.
  fd = open("/data/sized.txt", O_RDWR);
  CHECK(fd >= 0);
  CHECK(pwrite(fd, "XY", 2, 1) == 2);
  char buf[8] = {0};
  CHECK(pread(fd, buf, 3, 0) == 3 && memcmp(buf, "0XY", 3) == 0);
  CHECK(lseek(fd, 0, SEEK_END) == 10 && lseek(fd, 0, SEEK_CUR) == 10);
  CHECK(ftruncate(fd, 4) == 0 && fstat(fd, &st) == 0 && st.st_size == 4);
  CHECK(fsync(fd) == 0 && fdatasync(fd) == 0);
  CHECK(close(fd) == 0);
  // Times set by the program reach the host.
  put("/data/timed.txt", "t", "w");
  struct timespec times[2] = {{1234567890, 0}, {1234567890, 0}};
  CHECK(utimensat(AT_FDCWD, "/data/timed.txt", times, 0) == 0);
  // The listing and the sizes follow the changes.
  CHECK(stat("/data/mod.txt", &st) == 0 && st.st_size == 10);
  DIR* d = opendir("/data");
  CHECK(d != NULL);
  int seen_new = 0, seen_gone = 0, seen_dot = 0, seen_dotdot = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    seen_new += strcmp(e->d_name, "new.txt") == 0;
    seen_gone += strcmp(e->d_name, "gone.txt") == 0;
    seen_dot += strcmp(e->d_name, ".") == 0 && e->d_type == DT_DIR;
    seen_dotdot += strcmp(e->d_name, "..") == 0 && e->d_type == DT_DIR;
  }
  closedir(d);
  CHECK(seen_new == 1 && seen_gone == 0);
  CHECK(seen_dot == 1 && seen_dotdot == 1);  // as POSIX hosts list them
  // posix_fallocate grows a file with zeros and never shrinks it;
  // posix_fadvise is a hint that is accepted.
  fd = open("/data/alloc.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0 && write(fd, "ab", 2) == 2);
  CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
  CHECK(posix_fallocate(fd, 4, 6) == 0 && fstat(fd, &st) == 0 && st.st_size == 10);
  CHECK(posix_fallocate(fd, 0, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 10);
  CHECK(pread(fd, buf, 4, 0) == 4 && memcmp(buf, "ab\0\0", 4) == 0);
  CHECK(posix_fallocate(fd, 0, 0) == EINVAL);
  CHECK(close(fd) == 0);
  // The other writable root changes too.
  put("/other/o.txt", "other\n", "w");
}

static void errnos(void) {
  char long_name[300];
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = 0;
  static char long_path[5000];
  memset(long_path, 'b', sizeof long_path - 1);
  for (int i = 100; i < (int)sizeof long_path - 1; i += 100) long_path[i] = '/';
  int32_t out;
  const int64_t all = 0x1fffffff;
  // Hostile paths.
  CHECK(fails_with(open("/data/../etc/passwd", O_RDONLY), ENOTCAPABLE));
  CHECK(mkdir("/data/up", 0755) == 0);
  CHECK(fails_with(open("/data/up/../../x", O_RDONLY), ENOTCAPABLE));
  CHECK(raw_path_open(3, 0, "/etc/passwd", 11, 0, all, all, 0, &out) == ENOTCAPABLE);
  CHECK(raw_path_open(3, 0, "a\0b", 3, O_CREAT, all, all, 0, &out) == EINVAL);
  CHECK(raw_mkdir(3, "a\0b", 3) == EINVAL);
  CHECK(raw_path_open(3, 0, "bad\xff", 4, 1, all, all, 0, &out) == EILSEQ);
  CHECK(raw_path_open(3, 0, "\xed\xa0\x80", 3, 1, all, all, 0, &out) == EILSEQ);  // a surrogate
  CHECK(raw_path_open(3, 0, "caf\xc3\xa9", 5, 1, all, all, 0, &out) == 0);       // valid UTF-8
  CHECK(raw_path_open(3, 0, long_path, 4100, 1, all, all, 0, &out) == ENAMETOOLONG);
  char name_path[320];
  snprintf(name_path, sizeof name_path, "/data/%s", long_name);
  CHECK(fails_with(open(name_path, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG));
  // Directories.
  CHECK(mkdir("/data/d", 0755) == 0);
  CHECK(fails_with(mkdir("/data/d", 0755), EEXIST));
  CHECK(fails_with(open("/data/d", O_WRONLY), EISDIR));
  CHECK(fails_with(open("/data/d", O_RDWR), EISDIR));
  put("/data/d/f", "x", "w");
  CHECK(fails_with(rmdir("/data/d"), ENOTEMPTY));
  CHECK(fails_with(unlink("/data/d"), EISDIR));
  CHECK(fails_with(rmdir("/data/d/f"), ENOTDIR));
  CHECK(fails_with(open("/data/d/f/", O_RDONLY), ENOTDIR));
  CHECK(fails_with(open("/data/d/f", O_RDONLY | O_DIRECTORY), ENOTDIR));
  CHECK(fails_with(open("/data/d/f", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST));
  CHECK(fails_with(open("/data/missing/f", O_CREAT | O_WRONLY, 0644), ENOENT));
  // Renames.
  CHECK(mkdir("/data/d/sub", 0755) == 0);
  CHECK(fails_with(rename("/data/d", "/data/d/sub/inner"), EINVAL));
  CHECK(fails_with(rename("/data/d/f", "/other/f"), EXDEV));
  CHECK(fails_with(rename("/data/d/f", "/ro/f"), EROFS));
  CHECK(fails_with(rename("/data/d/f", "/data/d/sub"), EISDIR));
  CHECK(mkdir("/data/e", 0755) == 0);
  CHECK(fails_with(rename("/data/e", "/data/d"), ENOTEMPTY));
  CHECK(rename("/data/e", "/data/d/sub") == 0);  // over an empty directory
  put("/data/g", "replaced", "w");
  CHECK(rename("/data/g", "/data/d/f") == 0);     // over a file
  FILE* f = fopen("/data/d/f", "r");
  char buf[16] = {0};
  CHECK(f != NULL && fread(buf, 1, sizeof buf, f) == 8 && strcmp(buf, "replaced") == 0);
  fclose(f);
  CHECK(fails_with(rename("/data/nothing", "/data/x"), ENOENT));
  // Read-only root, as before: wasi-libc asks only for the rights the root
  // passes on, so an O_WRONLY open succeeds and its writes are EBADF;
  // creating, truncating and every other change is EROFS.
  int ro = open("/ro/r.txt", O_WRONLY);
  CHECK(ro >= 0 && write(ro, "x", 1) == -1 && errno == EBADF);
  close(ro);
  CHECK(fails_with(open("/ro/r.txt", O_WRONLY | O_TRUNC), EROFS));
  CHECK(fails_with(open("/ro/new", O_CREAT | O_WRONLY, 0644), EROFS));
  CHECK(fails_with(mkdir("/ro/dir", 0755), EROFS));
  CHECK(fails_with(unlink("/ro/r.txt"), EROFS));
  CHECK(fails_with(truncate("/ro/r.txt", 0), EBADF));
  // No links.
  CHECK(fails_with(symlink("/etc/passwd", "/data/link"), EPERM));
  CHECK(fails_with(link("/data/d/f", "/data/hard"), EPERM));
  CHECK(fails_with(symlink("x", "/ro/link"), EROFS));
  char target[64];
  CHECK(readlink("/data/d/f", target, sizeof target) == -1 && errno == EINVAL);
  // Writing to a file opened read-only.
  int fd = open("/data/d/f", O_RDONLY);
  CHECK(fd >= 0 && write(fd, "x", 1) == -1 && errno == EBADF);
  close(fd);
  printf("ok\n");
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "apply") == 0) {
    apply();
  } else if (strcmp(mode, "errnos") == 0) {
    errnos();
  } else if (strcmp(mode, "trap") == 0) {
    change_things();
    __builtin_trap();
  } else if (strcmp(mode, "fail") == 0) {
    change_things();
    return 3;
  } else if (strcmp(mode, "spin") == 0) {
    change_things();
    for (volatile int i = 0;; ++i) {
    }
  } else {
    return 2;
  }
  return 0;
}
