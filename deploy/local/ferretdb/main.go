// Command ferretdb-local runs FerretDB, a MongoDB-wire-compatible server, on its SQLite
// backend, for the local stack. It embeds FerretDB's package because a plain `go install`
// of FerretDB's own command panics on its missing build-time version file.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27027", "TCP address to listen on")
	dir := flag.String("data", "data", "directory for the SQLite databases")
	level := flag.String("log-level", "warn", "debug, info, warn or error")
	// WAL with synchronous=NORMAL: a committed write survives a crash of this process or of
	// a client, but not a power cut of the machine. FULL (fsync on every commit) makes every
	// single-document write wait for the disk, which caps the local stack at ~100 writes/s.
	synchronous := flag.String("synchronous", "normal", "SQLite synchronous pragma: full or normal")
	flag.Parse()

	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		log.Fatal(err)
	}
	logger := slog.New(lazyAttrs{inner: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})})

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/?_pragma=synchronous(" + *synchronous + ")",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logger.Warn("ferretdb-local listening", "address", *listen, "data", *dir)
	if err := f.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// lazyAttrs defers a logger's With attributes until a record is actually written. FerretDB's
// SQL layer calls With(args...) around every statement, whatever the level, and a
// TextHandler formats those attributes (the documents themselves) at once: a fifth of the
// server's CPU under load, for debug lines that are never written.
type lazyAttrs struct {
	inner slog.Handler
	attrs []slog.Attr
}

func (h lazyAttrs) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h lazyAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	all := make([]slog.Attr, 0, len(h.attrs)+len(attrs))
	return lazyAttrs{inner: h.inner, attrs: append(append(all, h.attrs...), attrs...)}
}

func (h lazyAttrs) WithGroup(name string) slog.Handler {
	return lazyAttrs{inner: h.materialised().WithGroup(name)}
}

func (h lazyAttrs) Handle(ctx context.Context, record slog.Record) error {
	return h.materialised().Handle(ctx, record)
}

func (h lazyAttrs) materialised() slog.Handler {
	if len(h.attrs) == 0 {
		return h.inner
	}
	return h.inner.WithAttrs(h.attrs)
}
