package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/vcr"
)

// shardFlag declares --shard on record and check.
func (c *common) shardFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.shard, "shard", "", "I/N: run only shard I of N (from 1), a share of the checks chosen by a hash of each check's name, stable when other checks are added or reordered; merge the shards' --json reports with 'corsvcr merge'")
}

// selectShard keeps the checks of --shard in file (after --run) and
// remembers which shard ran for the report. An invalid shard is a usage
// error.
func (c *common) selectShard(cmd string, file *checks.File) (*checks.File, error) {
	if c.shard == "" {
		return file, nil
	}
	s, err := checks.ParseShard(c.shard)
	if err != nil {
		return nil, usageErrorf("%s: --shard: %v", cmd, err)
	}
	sel, info, err := vcr.SelectShard(file, s)
	if err != nil {
		return nil, usageErrorf("%s: --shard: %v", cmd, err)
	}
	c.shardInfo = info
	return sel, nil
}

// announceShard says on stderr which shard runs.
func (c *common) announceShard(stderr io.Writer) {
	if c.shardInfo != nil {
		fmt.Fprintf(stderr, "corsvcr: %s\n", c.shardInfo)
	}
}

// emptyShard handles a shard that holds no check: nothing runs and no
// cassette is written; the table or JSON, and the report files asked for,
// say so, and it passes (the other shards hold the checks).
func (c *common) emptyShard(ctx context.Context, stdout, stderr io.Writer, rf reportFlags, name string, file *checks.File) error {
	run := &vcr.Run{Shard: c.shardInfo}
	if err := writeResults(stdout, run, "", c.jsonOut); err != nil {
		return err
	}
	return rf.write(ctx, reportInput{name: name, run: run, file: file, checksPath: c.checks}, stderr)
}

// remoteFlags declares --browser and --listen.
func (c *common) remoteFlags(fs *flag.FlagSet) {
	fs.Func("browser", "attach to a running Chrome over the DevTools protocol instead of starting one: ws://HOST:PORT/devtools/browser/ID or http://HOST:PORT (its --remote-debugging-port); checks run in a browser context of their own, disposed of afterwards (http checks only)", func(s string) error {
		// A mistyped address is a usage error, found before any check runs.
		if err := browsercheck.CheckRemote(s); err != nil {
			return err
		}
		c.browser = s
		return nil
	})
	fs.StringVar(&c.listen, "listen", "", "HOST:PORT the browser reaches the recording or replay proxy at (default: a free loopback port); for a --browser on another machine, this machine's address as that browser sees it; a non-loopback address exposes the proxy to whoever reaches it")
}

// warnListen warns about a --listen beyond loopback.
func (c *common) warnListen(stderr io.Writer) {
	if !vcr.IsLoopback(c.listen) {
		fmt.Fprintf(stderr, "corsvcr: warning: --listen %s is not a loopback address: whoever reaches it can use the proxy while the checks run (replayed exchanges, or, when recording, requests forwarded to your servers); prefer a tunnel (ssh -R) to a loopback port\n", c.listen)
	}
}
