/*
 * model/ring.pml - Promela model of the shmcat ring protocol: src/ring.c,
 * src/wait.c, src/reader.c, src/record.c.  model/README.md says what is
 * modelled and why; model/check runs it.
 *
 * Configurations (-DCFG=n):
 *
 *   1 SPSC    one bytes writer and the default reader (slot 0)
 *   2 FANOUT  one bytes writer, the default reader, and a second reader
 *             that joins at any moment through place_cursor() (slot 1)
 *   3 TAP     one bytes writer, the default reader and a tap (slot 2)
 *   4 REC     two record writers sharing the commit lock (an OFD lock and
 *             the commit_waiting/commit_wake handshake), either of which
 *             may die at any step (by symmetry, only writer 0 is killed),
 *             and the default reader
 *   5 LIFE    the lifecycle around the ring: a writer that may
 *             die or end, a second writer started after it (stale-ring
 *             reuse, stream generations), the default reader (which may
 *             hang up) and a reader restarted after it, an anonymous
 *             reader that joins at any moment and may die (reaping), an
 *             observer that checks positions and runs `rm -f`, and the
 *             rule that removes a finished ring
 *   6 NAMES   two first starts of one reader name, one with --new
 *   7 JOIN    a record writer that leaves while a joiner waits for the
 *             commit lock, and a joiner that may die before it is counted
 *
 * Granularity: every step (a Promela statement, or an atomic/d_step
 * block) makes at most one access to shared memory (a load, a store, an
 * RMW, a semaphore or lock operation), plus local computation.  Spin runs
 * the steps of all processes in every possible order: a sequentially
 * consistent machine.  README.md explains why that is sound for this
 * code (the seq_cst fences) and where it is not (WEAK_R, WEAK_W below).
 * The few places that merge more than one access into a step say why
 * that loses no behaviour.
 *
 * Data: positions are free-running byte counts as in the C code (the
 * streams are short, so they never wrap).  Each data slot holds the
 * position of the byte stored in it (dpos); a reader that delivers byte
 * q asserts dpos[q % CAP] == q, which is "committed, not overwritten,
 * in order, exactly once" in one check.  Record writers also store a tag
 * (writer, record number, byte in record) in dtag.
 *
 * Switches: -DMUT=n a deliberate mutation (README.md lists them; every
 * one must make Spin report an error); -DWEAK_R, -DWEAK_W the reorderings
 * C11 would allow in the sleepers without their fences;
 * -DIDEAL_RWAIT readers sleep on an oracle (until there is data or the
 * writer has gone) instead of the semaphore protocol, to keep the FANOUT
 * and TAP state spaces small; the SPSC and REC runs check the real one.
 * The bounds: -DCAP, -DNBYTES, -DNREC; -DMAXSLICES (see wait_data),
 * -DCSLICES (see commit_lock_take).
 */

#define SPSC	1
#define FANOUT	2
#define TAP	3
#define REC	4
#define LIFE	5	/* lifecycle: see the second half of this file */
#define NAMES	6
#define JOIN	7

#ifndef CFG
#define CFG SPSC
#endif
#ifndef CAP
#define CAP 2		/* ring capacity in bytes */
#endif
#ifndef NBYTES
#define NBYTES 5	/* length of a bytes stream */
#endif
#ifndef NREC
#define NREC 2		/* records per record writer (at most 2: see TAG) */
#endif
#define RECLEN 2	/* bytes per record */
#ifndef MUT
#define MUT 0
#endif
#ifndef MAXSLICES
#define MAXSLICES 1	/* slices a reader may need after a writer died */
#endif

#if CFG == REC
#define TOTAL (2 * NREC * RECLEN)
#else
#define TOTAL NBYTES
#endif

#if CFG < LIFE
/* Only a tap can see a half-written chunk: elsewhere the writer stores a
 * chunk in one step (nobody may read it before tail moves, and the ghost
 * check in put() sees every overwrite at the moment it happens). */
#if CFG == TAP || CFG == REC
#define BYTEWISE
#endif

/* The slots the writer's scan visits: those that can hold a cursor that
 * counts for the floor in this configuration (a tap slot never does). */
#if CFG == FANOUT
#define NSCAN 2
#else
#define NSCAN 1
#endif
#define NSLOT 3
#define TAPSLOT 2

/* Slot kinds (shmcat_int.h) */
#define K_FREE		0
#define K_DEFAULT	1
#define K_ANON		3
#define K_TAP		4
#define counts(k)	((k) == K_DEFAULT || (k) == K_ANON)

#define F_EOF 1		/* STREAM_EOF */

/* end_of_stream() results */
#define MORE		0
#define EOS_EOF		1
#define EOS_DIED	2

#define TAG(w, k, b)	((w) * 4 + (k) * 2 + (b))

/* ------------------------------------------------------------------ */
/* Shared memory (struct shared)                                      */

byte tail;			/* sh->tail */
byte reserve_end;		/* sh->reserve_end */
byte floor_hint;		/* sh->floor */
byte rpos[NSLOT];		/* sh->readers[i].pos */
byte kind[NSLOT];		/* sh->readers[i].kind */
byte readers_waiting;		/* bit i: the reader in slot i announced a sleep */
byte wake[NSLOT];		/* sh->readers[i].wake, a counting semaphore */
bool writer_waiting;
byte space;			/* sh->space, a counting semaphore */
byte wactive;			/* low half of writer_events: active writers */
byte flags;			/* stream_flags */
byte dpos[CAP];			/* data: the position of the byte in each slot */
byte dtag[CAP];			/* data: the record tag of the byte in each slot */

byte commit_waiting;		/* sh->commit_waiting: record writers counted */
byte commit_wake;		/* sh->commit_wake, a counting semaphore */

/* Kernel objects */
byte wlock;			/* holders of the LOCK_WRITER OFD lock */
byte commit_lock;		/* the LOCK_COMMIT OFD lock: 0 free, else owner + 1 */

/* Ghost state, only for the assertions */
bool settled[NSLOT];		/* the reader in slot i has placed its cursor */
bool wheld[2];			/* record writer w holds LOCK_WRITER */
bool dead[2];			/* record writer w died */
byte kill;			/* 0, or w + 1: the killer picked writer w */
byte slices;			/* sleep slices that ran out */
byte cslices;			/* the same, for sleepers on commit_wake */

/* ------------------------------------------------------------------ */
/* Writer side                                                         */

/* One slot of reader_scan_min().  The kind load and the pos load are one
 * step: once a reader has set its kind its pos only grows, and when it
 * leaves (kind back to FREE) its pos stays put, so every (kind, pos) pair
 * the two loads can see existed at some instant between them.  check_distance() failing makes the writer
 * give up with -SHMCAT_ECORRUPT; nothing scribbles on the header in this
 * model, so that must never happen. */
inline scan_slot(jj, res)
{
	k = kind[jj];				/* seq_cst */
	if
	:: counts(k) ->
		x = rpos[jj];			/* acquire (B) */
		/* suggested fix: a cursor more than a ring behind is a
		 * reader still joining; it holds the whole ring until it
		 * moves up */
		if
		:: x < t && t - x > CAP -> x = t - CAP
		:: else
		fi;
		assert(x <= t && t - x <= CAP);	/* else a spurious ECORRUPT */
		if
		:: t - x > t - res -> res = x
		:: else
		fi
	:: else
	fi;
	k = 0;
	x = 0
}

inline scan(res)
{
	d_step { res = t; scan_slot(0, res) }
#if NSCAN > 1
	d_step { scan_slot(1, res) }
#endif
}

/* ring_floor() and the rest of shmcat_write_span()'s recomputation:
 * scan, store the hint (our own field: the load and the store are one
 * step), fence, scan again, limit = the lower scan + CAP, store
 * reserve_end, fence. */
inline recompute()
{
	scan(first);
	d_step {
		if
		:: first >= floor_hint && first - floor_hint <= CAP &&
		    first != floor_hint ->
			floor_hint = first	/* seq_cst */
		:: else
		fi
	}
	/* fence_full() */
#if MUT == 9
	second = first;				/* mutation: no second scan */
#else
	scan(second);
#endif
	d_step {
		if
		:: t - second > t - first -> lim = second + CAP
		:: else -> lim = first + CAP
		fi;
#if MUT == 5
		lim = t + CAP;			/* mutation: ignore the readers */
#endif
		first = 0;
		second = 0;
#if MUT != 12
		reserve_end = lim		/* relaxed, then fence_full() */
#endif
	}
}

/* Store byte q.  Ghost check first: every settled non-tap cursor has
 * consumed q - CAP, the byte this overwrites. */
inline put(q, tag)
{
	i = 0;
	do
	:: i < NSCAN ->
		if
		:: settled[i] && counts(kind[i]) -> assert(q < rpos[i] + CAP)
		:: else
		fi;
		i++
	:: else -> break
	od;
	i = 0;
	dpos[(q) % CAP] = q;
#if CFG == REC
	dtag[(q) % CAP] = tag
#else
	skip
#endif
}

/* wake_readers(): fence, a relaxed look at the flags, exchange, post.
 * The look and the exchange are one step: whatever the look saw, only
 * what the exchange returns is acted on. */
inline wake_readers()
{
	/* fence_full() (C) */
	d_step { bits = readers_waiting; readers_waiting = 0 }
	if
	:: bits != 0 ->
		d_step {
			i = 0;
			do
			:: i < NSLOT ->
				if
				:: bits & (1 << i) -> wake[i]++
				:: else
				fi;
				i++
			:: else -> break
			od;
			i = 0;
			bits = 0
		}
	:: else
	fi
}

/* has_space(): force a fresh floor. */
inline has_space()
{
	lim = t;
	recompute()
}

/* shmcat_wait_space(), the sleep being an indefinite sem_wait.  (The C
 * code also calls ring_floor() at the top of the loop, for its error
 * check only: has_space() repeats it at once.) */
inline wait_space()
{
	do
	:: has_space();
		if
		:: lim - t >= need -> break
		:: else
		fi;
#ifdef WEAK_W
		/* C11 lets the first scan's acquire loads of pos be
		 * satisfied before the seq_cst store of writer_waiting is
		 * visible: no fence between them.  The fence in ring_floor()
		 * orders only the second scan, and the floor is the lower of
		 * the two. */
		lim = t;
		scan(first);
		writer_waiting = 1;
		d_step {
			if
			:: first >= floor_hint && first - floor_hint <= CAP &&
			    first != floor_hint ->
				floor_hint = first
			:: else
			fi
		}
		scan(second);
		d_step {
			if
			:: t - second > t - first -> lim = second + CAP
			:: else -> lim = first + CAP
			fi;
			first = 0;
			second = 0;
			reserve_end = lim
		}
#else
#if MUT != 15
		writer_waiting = 1;		/* seq_cst (D) */
#endif
#if MUT != 3
		has_space();			/* the re-check */
#endif
#endif
		if
		:: lim - t >= need -> writer_waiting = 0; break
		:: else
		fi;
		atomic { space > 0 -> space-- };	/* sem_wait, no timeout */
		writer_waiting = 0
	od
}

/* Store the chunk [t, t + n) and commit it: shmcat_write_commit(). */
inline write_chunk(n, tag0)
{
#if MUT == 6
	tail = t + n;				/* mutation: publish first */
#endif
#ifdef BYTEWISE
	j = 0;
	do
	:: j < n -> d_step { put(t + j, tag0 + j); j++ }
	:: else -> break
	od;
	j = 0;
#else
	d_step {
		j = 0;
		do
		:: j < n -> put(t + j, tag0 + j); j++
		:: else -> break
		od;
		j = 0
	}
#endif
#if MUT == 12
	reserve_end = lim;			/* mutation: reservation too late */
#endif
	d_step { t = t + n; tail = t }		/* release (A) */
#if MUT != 2
	wake_readers()
#endif
}

/* A bytes writer: shmcat-in's copy_bytes() loop; read(2) returns any
 * number of bytes up to the free span; then writer_detach(SHMCAT_END). */
proctype Writer()
{
	byte t, lim, first, second, x, k, i, j, n, bits, ev;
	byte need = 1;

	{
	t = tail;
	lim = t;				/* writer_begin() */
	do
	:: t == NBYTES -> break
	:: else ->
		if
		:: lim - t < CAP / 2 -> recompute()	/* shmcat_write_span() */
		:: else
		fi;
		if
		:: lim > t ->
			atomic {
				n = 1;
				do
				:: n < lim - t && t + n < NBYTES -> n++
				:: break
				od
			}
			write_chunk(n, 0);
			n = 0
		:: else ->
			wait_space()
		fi
	od;
	/* writer_detach(SHMCAT_END) */
#if MUT == 18
	atomic { ev = wactive; wactive-- }	/* mutation: the count first */
#else
	ev = wactive;
#endif
	if
	:: ev == 1 -> flags = flags | F_EOF	/* the flag before the count */
	:: else
	fi;
#if MUT != 18
	wactive--;
#endif
	d_step { wlock--; wheld[0] = false }	/* lock_release(LOCK_WRITER) */
#if MUT != 8
	wake_readers()
#endif
	} unless {
		kill == 1 ->
		d_step {
			dead[0] = true;
			if
			:: wheld[0] -> wlock--; wheld[0] = false
			:: else
			fi
		}
	}
}

/* The commit lock: commit_lock_until() and commit_unlock() of writer.c.
 *
 * The lock is an OFD lock on byte LOCK_COMMIT, kernel state: lock_try()
 * is one atomic step, and the kernel drops the lock when its holder dies
 * (the unless clause of RecWriter).  A writer that finds it busy counts
 * itself in commit_waiting, fences, tries again, and only then sleeps on
 * commit_wake; the unlocker releases, fences, and posts commit_wake if it
 * sees a waiter.  The same Dekker handshake as the readers' sleep (C):
 * the count against the lock, each side's store before its fence and its
 * load after it, so the SC interleavings are all that can happen.
 *
 * Left out: the 8 sched_yield() tries of the fast path (a try that fails
 * changes nothing, so more of them only repeat the first one), and the
 * interrupt and deadline checks (no timeouts in this model).  The sleep is
 * an indefinite sem_wait, with one exception: the kernel posts nobody when
 * it drops a dead holder's lock, and a holder can die between its release
 * and its post, so after a death a sleeper here may need its slice to run
 * out, once (CSLICES).  Without a death every sleep must end with a post.
 * A writer that dies between its add and its sub stays counted: every
 * later unlock then posts, spuriously, and a spurious post only sends a
 * waiter round its loop once more.
 *
 * Three steps merge two accesses, by Lipton's reduction (a post moves
 * left, a successful sem_wait or try-lock moves right): the unlocker's
 * look at commit_waiting with its post; the waiter's sem_wait with its
 * sub; a second try that succeeds with its sub.  Death in between loses
 * nothing: the look is local, the kernel drops a lock just taken, and a
 * post consumed by a waiter that then dies counted could only have woken
 * a later sleeper, of which there is none (the survivor alone is left,
 * and nobody holds the lock it could wait for).
 *
 * Mutations (README.md): 32 the waiter's second try before its count is
 * visible (no fence, or the two swapped); 33 the unlocker looks at
 * commit_waiting before it releases; 34 the unlocker never posts.
 * -DCSLICES=0 takes the one slice away: a dead holder's waiter then
 * sleeps for ever. */
#ifndef CSLICES
#define CSLICES 1
#endif

inline lock_try(res)
{
	if
	:: commit_lock == 0 -> commit_lock = w + 1; res = 1
	:: else -> res = 0
	fi
}

inline commit_lock_take()
{
	do
	:: d_step { lock_try(got) };
		if
		:: got -> got = 0; break
		:: else
		fi;
#if MUT == 32
		d_step { lock_try(got) };	/* mutation: second try first */
		commit_waiting++;
		if
		:: got -> commit_waiting--
		:: else
		fi;
#else
		commit_waiting++;		/* seq_cst RMW, fence_full() */
		d_step {
			lock_try(got);		/* the second look */
			if
			:: got -> commit_waiting--
			:: else
			fi
		}
#endif
		if
		:: got -> got = 0; break
		:: else
		fi;
		if
		:: atomic {			/* sem_wait, then the sub */
			commit_wake > 0 -> commit_wake--; commit_waiting--
		   }
		:: atomic {
			(dead[0] || dead[1]) && cslices < CSLICES ->
			cslices++;		/* a slice ran out */
			commit_waiting--
		   }
		fi
	od
}

inline commit_unlock()
{
#if MUT == 33
	x = commit_waiting;			/* mutation: look first */
	commit_lock = 0;
	if
	:: x != 0 -> commit_wake++
	:: else
	fi;
	x = 0
#else
	commit_lock = 0;			/* lock_release(), fence_full() */
	d_step {
		if
		:: commit_waiting != 0 ->	/* seq_cst */
#if MUT != 34
			commit_wake++		/* wake_one() */
#else
			skip			/* mutation: no post */
#endif
		:: else
		fi
	}
#endif
}

/* A record writer: shmcat_write_record() per record, then
 * writer_detach(SHMCAT_END).  It may die at any step; the kernel then
 * drops its LOCK_WRITER and LOCK_COMMIT (and posts nobody), while
 * writer_events, and commit_waiting if it died counted there, keep
 * counting it. */
proctype RecWriter(byte w)
{
	byte t, lim, first, second, x, k, i, j, bits, ev, rec;
	bool got;
	byte need = 1;

	{
		do
		:: rec < NREC ->
#if MUT != 13
			commit_lock_take();
#endif
			t = tail;
			lim = t;		/* writer_begin() */
			need = RECLEN;
			do
			:: lim - t < CAP / 2 ->
				recompute();	/* shmcat_write_span() */
				if
				:: lim - t >= RECLEN -> break
				:: else -> wait_space()
				fi
			:: else ->
				if
				:: lim - t >= RECLEN -> break
				:: else -> wait_space()
				fi
			od;
#if MUT == 14
			/* mutation: commit byte by byte */
			write_chunk(1, TAG(w, rec, 0));
			write_chunk(1, TAG(w, rec, 1));
#else
			write_chunk(RECLEN, TAG(w, rec, 0));
#endif
			need = 1;
#if MUT != 13
			commit_unlock();
#endif
			rec++
		:: else -> break
		od;
		/* writer_detach(SHMCAT_END) */
		commit_lock_take();
		ev = wactive;
		if
		:: ev == 1 -> flags = flags | F_EOF
		:: else
		fi;
		wactive--;
		commit_unlock();
		d_step { wlock--; wheld[w] = false }
		wake_readers()
	} unless {
		kill == w + 1 ->
		d_step {
			dead[w] = true;
#if MUT != 16
			if
			:: commit_lock == w + 1 -> commit_lock = 0
			:: else
			fi;
#endif
			if
			:: wheld[w] -> wlock--; wheld[w] = false
			:: else
			fi
		}
	}
}

/* Kills at most one writer, at any moment.  In REC only record writer 0:
 * the two are symmetric (swap w, their tags, dead[] and wheld[]), so the
 * runs that kill writer 1 are mirror images of these.  -DKILL_EITHER
 * puts them back. */
proctype Killer()
{
	if
	:: kill = 1
#if CFG == REC && defined(KILL_EITHER)
	:: kill = 2
#endif
	:: skip
	fi
}

/* ------------------------------------------------------------------ */
/* Reader side                                                         */

/* end_of_stream(): writers_state() (the count, the lock, the count
 * again, until the two counts agree), then the flags.  In FANOUT and TAP
 * it is one step: it is checked as written in SPSC and REC, and it only
 * ever returns a consistent (count, lock, flags) snapshot. */
inline end_of_stream(res)
{
#if CFG == FANOUT || CFG == TAP
	d_step {
		if
		:: wlock > 0 -> res = MORE
		:: else ->
			if
			:: wactive != 0 -> res = EOS_DIED
			:: wactive == 0 && (flags & F_EOF) -> res = EOS_EOF
			:: else -> res = MORE
			fi
		fi
	}
#else
	do
	:: ev = wactive;			/* seq_cst */
		held = (wlock > 0);		/* lock_held_by_other() */
		atomic {
			ev2 = wactive;
			if
			:: ev == ev2 -> ev2 = 0; break
			:: else -> ev2 = 0
			fi
		}
	od;
	if
	:: held -> res = MORE
	:: !held && ev != 0 -> res = EOS_DIED
	:: !held && ev == 0 ->
		d_step {
			if
			:: flags & F_EOF -> res = EOS_EOF
			:: else -> res = MORE	/* --keep-open writers */
			fi
		}
	fi;
	ev = 0;
	held = false
#endif
}

/* peek(): a load of tail, and I1 for a non-tap cursor. */
inline peek()
{
	d_step {
		t = tail;			/* acquire (A) */
		if
		:: s == TAPSLOT -> assert(t >= p)
		:: else -> assert(t >= p && t - p <= CAP)	/* else ECORRUPT */
		fi
	}
}

/* shmcat_wait_data(), the sleep being an indefinite sem_wait.  Slices
 * (SLICE_MS) may run out too, but only after a writer died, and only
 * MAXSLICES times in all: noticing a death is what they are for.  (A
 * writer can die after storing tail and before posting, or after taking
 * the readers' bits with its exchange and before posting; then the
 * sleeper needs one slice even though other writers live on.)  Without a
 * death, every sleep must end with a post. */
inline wait_data(res)
{
#ifdef IDEAL_RWAIT
	do
	:: peek();
		if
		:: t != p -> res = MORE; break
		:: else
		fi;
		end_of_stream(eos);
		if
		:: eos != MORE ->
			peek();
			if
			:: t != p -> skip
			:: else -> res = eos; break
			fi
		:: else ->
			/* an oracle sleep: until there is data or the writer
			 * has gone, as the real protocol (checked in SPSC and
			 * REC) guarantees */
			(tail != p || wlock == 0)
		fi
	od;
#else
	do
	:: peek();
		if
		:: t != p -> res = MORE; break
		:: else
		fi;
		end_of_stream(eos);
		if
		:: eos != MORE ->
#if MUT == 7
			res = eos; break	/* mutation: no second look */
#else
			peek();
			if
			:: t != p -> skip
			:: else -> res = eos; break
			fi
#endif
		:: else ->
#ifdef WEAK_R
			/* C11 lets the acquire load of tail be satisfied
			 * before the seq_cst fetch_or is visible */
			peek();
			readers_waiting = readers_waiting | (1 << s);
#else
			readers_waiting = readers_waiting | (1 << s);	/* (C) */
#if MUT != 1
			peek();			/* the re-check */
#endif
#endif
			if
			:: t != p ->
				readers_waiting = readers_waiting & ~(1 << s)
			:: else ->
				end_of_stream(eos);
				if
				:: eos != MORE ->
					readers_waiting = readers_waiting & ~(1 << s)
				:: else ->
					if
					:: atomic { wake[s] > 0 -> wake[s]-- }
					:: atomic {
						(dead[0] || dead[1]) &&
						    slices < MAXSLICES ->
						slices++	/* a slice ran out */
					   }
					fi;
					readers_waiting = readers_waiting & ~(1 << s)
				fi
			fi
		fi
	od;
#endif
	eos = 0
}

/* An unconditional wake_writer(): fence, a look at the flag, exchange,
 * post (the look and the exchange in one step, as in wake_readers()).
 * The C code no longer has one (commit 60a7ede made every reader wake
 * go through wake_writer_if_room()); the suggested fixes use it. */
inline wake_writer()
{
	/* fence_full() (D) */
	d_step { x = writer_waiting; writer_waiting = 0 }
	if
	:: x -> space++
	:: else
	fi;
	x = 0
}

/* wake_writer_if_room() after a commit (shmcat_read_commit()): post only
 * once our own backlog, counted against the tail our read_span() loaded
 * (t), is at most half the ring.  The look at the flag and the exchange
 * are one step as above; the backlog test is local. */
inline wake_writer_if_room()
{
	/* fence_full() (D) */
	d_step {
		if
		:: writer_waiting && t - p <= CAP / 2 ->
			x = 1;
			writer_waiting = 0
		:: else -> x = 0
		fi
	}
	if
	:: x -> space++
	:: else
	fi;
	x = 0
}

/* Byte q delivered: it must be the byte at position q, and in record
 * mode it must continue a whole record, each writer's in order. */
inline deliver(q)
{
	assert(dpos[(q) % CAP] == q);
#if CFG == REC
	x = dtag[(q) % CAP];
	if
	:: (q) % 2 == 0 ->
		assert(x % 2 == 0 && (x / 2) % 2 == nextk[x / 4]);
		cur = x
	:: else ->
		assert(x == cur + 1);
		nextk[x / 4]++
	fi;
	x = 0
#endif
}

/* place_cursor() for a new anonymous reader in slot s. */
inline place_cursor()
{
	if
	:: start = floor_hint			/* the default: oldest byte */
	:: start = tail				/* SHMCAT_O_NEW */
	fi;
	rpos[s] = start;
	kind[s] = K_ANON;			/* seq_cst */
#if MUT != 10
	do
	:: fl = floor_hint;			/* seq_cst */
		if
		:: fl <= start -> break		/* (int64_t)(floor - start) <= 0 */
		:: else -> start = fl; rpos[s] = start
		fi
	od;
#endif
	wake_writer();
	p = start;
	d_step { settled[s] = true; start = 0; fl = 0 }
}

/* resume_slot() of slot 0, at any moment: resume at its cursor, or with
 * --new (SHMCAT_O_NEW) skip what it kept: move it to tail. */
inline resume_default()
{
	if
	:: p = rpos[s]
	:: t = tail;
		rpos[s] = t;			/* release */
		p = t;
		wake_writer();
		t = 0
	fi
}

/* A non-tap reader: shmcat-out's copy_out() loop; write(2) takes any
 * number of the available bytes. */
proctype Reader(byte s)
{
	byte p, t, n, j, x, ev, ev2, eos, res, start, fl, cur;
	bool held;
	byte nextk[2];

#if CFG == FANOUT
	if
	:: s != 0 -> place_cursor()
	:: else -> resume_default()
	fi;
#elif CFG == SPSC
	resume_default();
#else
	p = rpos[s];
#endif
	do
#if CFG == FANOUT
	:: s == 1 ->
		/* reader_detach() of an anonymous reader: its cursor stops
		 * holding the writer back */
		d_step { kind[s] = K_FREE; settled[s] = false }
#if MUT != 19
		writer_waiting = 0;
		space++;
#endif
		break
#endif
	:: atomic {
		peek();				/* shmcat_read_span() */
#if CFG == REC
		assert(t % RECLEN == 0);	/* tail is on a record boundary */
#endif
		if
		:: t != p ->
			n = 1;
			do
			:: n < t - p -> n++
			:: break
			od
		:: else -> n = 0
		fi
	   }
		if
		:: n > 0 ->
#if MUT == 11
			rpos[s] = p + n;	/* mutation: commit before copy */
#endif
			d_step {
				j = 0;
				do
				:: j < n -> deliver(p + j); j++
				:: else -> break
				od;
				j = 0
			}
			d_step { p = p + n; rpos[s] = p; n = 0 }	/* release (B) */
#if MUT != 4
			wake_writer_if_room()
#endif
		:: else ->
			wait_data(res);
			if
			:: res == EOS_EOF ->
				/* a clean end: every byte, in order, delivered */
				assert(p == TOTAL);
#if CFG == REC
				assert(nextk[0] == NREC && nextk[1] == NREC);
#endif
				break
			:: res == EOS_DIED ->
				/* truncated: a writer died; everything committed,
				 * and everything the live writers wrote, delivered */
				assert(dead[0] || dead[1]);
				assert(p == tail);
#if CFG == REC
				assert(dead[0] || nextk[0] == NREC);
				assert(dead[1] || nextk[1] == NREC);
#endif
				break
			:: else
			fi
		fi
	od
}

/* The tap: shmcat_tap_read() (the validated copy, copy.c) in copy_tap()'s
 * loop.  It copies, then validates against reserve_end; it outputs only
 * validated bytes, each of which must be the byte it stands for. */
proctype Tap()
{
	byte s = TAPSLOT;
	byte p, t, j, ev, ev2, eos, res, cnt, drop;
	short oldest;
	bool held;
	byte buf[CAP];

	if					/* place_cursor(), SLOT_TAP */
	:: p = floor_hint
	:: p = tail				/* SHMCAT_O_NEW */
	fi;
	kind[s] = K_TAP;			/* (its pos is for inspection only) */
	do
	:: t = tail;				/* acquire */
		d_step {
			oldest = reserve_end - CAP;	/* relaxed */
			if
			:: oldest > p && t >= oldest -> p = oldest	/* skip */
			:: else
			fi;
			oldest = 0
		}
		if
		:: t > p ->
			atomic {
				cnt = 1;
				do
				:: cnt < t - p && cnt < CAP -> cnt++
				:: break
				od
			}
			j = 0;
			do
			:: j < cnt -> d_step { buf[j] = dpos[(p + j) % CAP]; j++ }
			:: else -> break
			od;
			j = 0;
			/* fence_acquire() */
#if MUT == 17
			drop = 0;		/* mutation: no validation */
#else
			d_step {
				oldest = reserve_end - CAP;
				if
				:: oldest > p ->
					if
					:: oldest - p < cnt -> drop = oldest - p
					:: else -> drop = cnt
					fi
				:: else -> drop = 0
				fi;
				oldest = 0
			}
#endif
			d_step {
				j = drop;
				do
				:: j < cnt -> assert(buf[j] == p + j); j++
				:: else -> break
				od;
				p = p + cnt;
				j = 0;
				cnt = 0;
				drop = 0;
				buf[0] = 0;
				buf[1] = 0
			}
		:: else ->
			wait_data(res);
			if
			:: res == EOS_EOF -> assert(p == TOTAL); break
			:: else -> assert(res == MORE)
			fi
		fi
	od
}

init
{
	atomic {
		kind[0] = K_DEFAULT;
		settled[0] = true;
#if CFG == REC
		wactive = 2;
		wlock = 2;
		wheld[0] = true;
		wheld[1] = true;
		run RecWriter(0);
		run RecWriter(1);
		run Killer();
#else
		wactive = 1;
		wlock = 1;
		wheld[0] = true;
		run Writer();
#if CFG == SPSC
		run Killer();
#endif
#endif
		run Reader(0);
#if CFG == FANOUT
		run Reader(1);
#endif
#if CFG == TAP
		run Tap();
#endif
	}
}

#else /* CFG >= LIFE */

/* ================================================================== */
/* The lifecycle: restarts, deaths and removal around the ring.     */
/*                                                                    */
/* The byte-level protocol is the first half's business; here a step   */
/* is coarser: a byte is written or delivered in one step, a reader    */
/* sleeps on an oracle (until its answer could change: the sleep and   */
/* wake-up protocol is checked above), and a scan of the three slots   */
/* is one step.  What is checked is who may attach, which stream a     */
/* byte belongs to, how a stream's end is reported and to whom, which  */
/* cursors count, and when the ring is removed.                        */
/*                                                                    */
/* Mutations (-DMUT=n, n >= 20; README.md):                            */
/*   20 a new writer continues a stream that is over (no generation)   */
/*   21 the new stream's count of writers keeps the dead one           */
/*   22 readers ignore the generation (deliver the new stream)         */
/*   23 removal counts the cursors of dead anonymous readers           */
/*   24 stale reuse does not reap dead anonymous readers first         */
/*   25 observers load tail before the cursors                         */
/*   26 rm -f removes a ring that live processes hold                  */
/*   27 first starts of a name without LOCK_NAMES                      */
/*   28 --new adopting the default cursor starts at its old position   */
/*   29 the last writer leaving to a joiner records no hand-off        */
/*   30 a writer waiting for space ignores a hang-up                   */
/*   31 end_of_stream() without its second look at the generation      */
/*   35 a closer does not wait for the others to leave a finished ring  */
/* ================================================================== */

#define F_EOF	1
#define F_INT	2
#define F_HUP	4
#define F_DLV	8
#define F_HOF	16
#define E_MORE	0
#define E_EOF	1
#define E_DIED	2
#define E_INT	3
#define E_HUP	4
#define K_FREE	0
#define K_DEFAULT 1
#define K_NAMED	2
#define K_ANON	3
#define NSLOT	3
#define NONE	255
#ifndef NB
#define NB 2		/* bytes per writer */
#endif

byte tail, gen, gen_start;
byte end_gen = NONE, end_pos, end_how, end_pid; /* ends[] (one record) */
byte wactive, flags, writer_pid, wlock, clock;
byte kind[NSLOT], pos[NSLOT], sname[NSLOT];
bool sheld[NSLOT];
byte attached;			/* holders of LOCK_ATTACH */
bool published = true;
bool names_lock;
bool owed;			/* a closer let go with the others only leaving */
bool wever;			/* a writer ever attached (writer_events) */
bool left[4];			/* process (0 default, 1-2 writers, 3 anon) let go */
bool fin[4];			/* ... and found the stream finished then */
byte fgen[4];			/* ... the stream's generation then */
byte kill;			/* the killer's pick */

/* Ghosts. */
byte dgen[CAP];			/* the stream of the byte in each data slot */
byte dpos[CAP];
byte written[3];		/* bytes written in stream g */
bool wdead[3];			/* writer i (1, 2) died */
bool wdone[3];			/* writer i is over, however */
byte wgen[3];			/* the stream writer i wrote */
bool hungup;

#define COUNTS(i) (kind[i] != K_FREE)
#define ROOM(i) (!COUNTS(i) || tail - pos[i] < CAP)
#define SPACE (ROOM(0) && ROOM(1) && ROOM(2))
#define DEAD_ANON (kind[1] == K_ANON && !sheld[1])
/* A cursor the removal rule and stale reuse count: a dead anonymous
 * reader's does not (nobody will read from it again). */
#if MUT == 23
#define LIVE_COUNTS(i) COUNTS(i)
#else
#define LIVE_COUNTS(i) (COUNTS(i) && !(kind[i] == K_ANON && !sheld[i]))
#endif
#define READ_ALL(i) (!LIVE_COUNTS(i) || pos[i] == tail)

/* stream_finished() under the exclusive LOCK_ATTACH: nobody else is
 * attached, so a hang-up, or everything read and the end reported. */
#define FINISHED ((flags & F_HUP) || (READ_ALL(0) && READ_ALL(1) && \
	READ_ALL(2) && ((flags & F_DLV) || written[0] == 0) && wlock == 0))

/* others_leaving(): a stream that was written is finished and no writer
 * lives; the readers still attached have read it all and are leaving
 * (LIFE has no taps, which do not count as leaving). */
#define LEAVING (FINISHED && wever && wlock == 0)

/* remove_if_finished(): let go of LOCK_ATTACH, try for it exclusively;
 * while the others are only leaving, wait for them, looking again as
 * they go (LEAVE_WAIT_MS: the model assumes they go within it, which
 * holds for a reader with nothing left to deliver).  Without the wait
 * (mutation 35), the last holder dying between its release and its try
 * leaves a finished ring behind. */
inline close_ring(who)
{
	d_step {
		attached--;
		left[who] = true;
		fin[who] = LEAVING;
		fgen[who] = gen
	};
	atomic {
#if MUT != 35
		(attached == 0 || !fin[who] || !LEAVING) ->
#endif
		if :: fin[who] && fgen[who] == gen -> owed = true :: else fi;
		if
		:: attached == 0 && FINISHED -> published = false
		:: else
		fi
	}
}

/* Killed: the kernel drops its locks (none, once it has let go). */
inline die_attached(who)
{
	if :: !left[who] -> attached-- :: else fi
}

/* ---- writers ----------------------------------------------------- */

/* How the stream nobody writes any more ended (how_it_ended()). */
inline how_it_ended(ev, f, how)
{
	if
	:: f & F_HUP -> how = E_HUP
	:: else -> if
		:: ev != 0 -> how = E_DIED
		:: f & F_INT -> how = E_INT
		:: else -> how = E_EOF
		fi
	fi
}

/* recover_stale(): refuse (ok = false) if a cursor that lives or
 * persists has unread bytes; otherwise close the stream that is over
 * and start the next one. */
inline recover_stale(ok)
{
	d_step { ev = wactive; f = flags };
	if
	:: ev == 0 && (f & ~F_DLV) == 0 -> ok = true	/* a fresh ring */
	:: else ->
		/* reap_dead_readers(), then observe_positions() (cursors,
		 * then tail; which skips dead ones too) */
#if MUT != 24
		d_step { if :: DEAD_ANON -> kind[1] = K_FREE :: else fi };
		d_step {
			ok = READ_ALL(0) && READ_ALL(1) && READ_ALL(2);
#else
		d_step {
			ok = (!COUNTS(0) || pos[0] == tail) &&
			    (!COUNTS(1) || pos[1] == tail) &&
			    (!COUNTS(2) || pos[2] == tail);
#endif
			/* a refusal must be for bytes someone can still read */
			assert(ok || !READ_ALL(0) || (kind[1] != K_FREE &&
			    sheld[1] && pos[1] != tail) || !READ_ALL(2))
		};
		if
		:: !ok -> skip
		:: else ->
#if MUT != 20
			d_step {
				how_it_ended(ev, f, how);
				end_pos = tail; end_how = how;
				end_pid = writer_pid; end_gen = gen;
				gen_start = tail
			};
			d_step { gen++; owed = false };
#if MUT != 21
			wactive = 0;
#endif
			flags = 0
#else
			skip
#endif
		fi
	fi
}

proctype Writer(byte w)
{
	byte ev, f, how, n;
	bool ok;

	/* open_object(): attach (a ring that is gone is another story) */
	atomic {
		if
		:: published -> attached++; left[w] = false
		:: else -> goto done
		fi
	};
	{
	/* writer_attach(): LOCK_WRITER, exclusive (a second writer would be
	 * refused while the first lives: here it waits its turn) */
	atomic { wlock == 0 -> wlock = w };
	recover_stale(ok);
	if
	:: !ok -> wlock = 0; close_ring(w); goto done
	:: else
	fi;
	d_step { wactive++; writer_pid = w; wgen[w] = gen; wever = true };
	n = 0;
	do
	:: n == NB -> break
	:: else ->
		/* shmcat_wait_space(): room, or reap, or a hang-up */
		if
		:: SPACE ->
			d_step {
				assert(dpos[tail % CAP] + CAP <= tail + CAP);
				dgen[tail % CAP] = wgen[w];
				dpos[tail % CAP] = tail;
				written[wgen[w]]++
			};
			tail++;
			n++
		:: DEAD_ANON -> kind[1] = K_FREE	/* reap_dead_readers() */
#if MUT != 30
		:: flags & F_HUP ->
			/* the reader hung up: abandon */
			flags = flags | F_INT;
			d_step { wactive--; wlock = 0 };
			close_ring(w);
			goto done
#endif
		fi
	od;
	/* writer_detach(SHMCAT_END): the flag before the count */
	if
	:: wactive == 1 -> flags = flags | F_EOF
	:: else
	fi;
	d_step { wactive--; wlock = 0 };
	close_ring(w)
	} unless {
		kill == w ->
		d_step {
			wdead[w] = true;
			if :: wlock == w -> wlock = 0 :: else fi;
			die_attached(w)
		}
	};
done:	wdone[w] = true
}

/* ---- readers ----------------------------------------------------- */

/* Deliver the stream from p to its end; res is how it ended, rpid the
 * writer named.  Shared by every reader in LIFE. */
inline read_stream(slot, g, p, res, rpid)
{
	over = false;
	do
	:: hangup && !hungup && got > 0 ->
		/* --hangup (its consumer left after a byte, while the writer
		 * may be waiting for space): end the stream for everyone */
		d_step { hungup = true; flags = flags | F_HUP | F_DLV };
		res = E_HUP;
		break
	:: !hangup || hungup || got == 0 ->
		/* visible_tail(): tail (acquire), then the generation.  One
		 * step: a tail that shows a byte of a newer stream comes with
		 * its generation, and the other order clamps the same. */
		d_step { t = tail; learn_end(g) };
		if
		:: t > p ->
			d_step {
				assert(dpos[p % CAP] == p);
				assert(dgen[p % CAP] == g);
				if :: slot == 0 -> got++ :: else fi;
				p++;
				pos[slot] = p;
				t = 0
			}
		:: else ->
			learn_end(g);			/* end_of_stream() */
			d_step {
				rpid = 0;
				if
				:: over -> res = grc; rpid = gpid
				:: else -> if
					:: flags & F_HUP -> res = E_HUP
					:: wlock != 0 -> res = E_MORE
					:: wactive != 0 -> res = E_DIED; rpid = writer_pid
					:: flags & F_INT -> res = E_INT; rpid = writer_pid
					:: flags & (F_EOF | F_HOF) -> res = E_EOF
					:: else -> res = E_MORE
					fi
				fi
			};
#if MUT != 31
			/* the second look: was that the next stream's state? */
			d_step {
				learn_end(g);
				if :: over -> res = grc; rpid = gpid :: else fi
			};
#endif
			d_step { t = tail; learn_end(g) };	/* peek() again */
			if
			:: t > p -> skip		/* committed just before */
			:: t <= p && res != E_MORE ->
				if
				:: !over -> flags = flags | F_DLV
				:: else
				fi;
				tend = t;
				break
			:: t <= p && res == E_MORE ->
				/* sleep until the answer may change (oracle) */
				(tail != t || gen != g || (flags & F_HUP) ||
				    (wlock == 0 && (wactive != 0 ||
				    (flags & (F_EOF | F_INT | F_HOF)))))
			fi
		fi
	od
}

/* stream_over(): a newer stream was started; learn where ours ended
 * (the end record is filled in before the generation moves).  t is the
 * tail loaded just before: with the end known, the end is the limit. */
inline learn_end(g)
{
#if MUT != 22
	if
	:: !over && gen != g ->
		over = true;
		assert(end_gen == g);
		gend = end_pos; grc = end_how; gpid = end_pid
	:: else
	fi;
	if :: over -> t = gend :: else fi
#else
	skip
#endif
}

/* What a reader reports must be what happened to its stream. */
inline check_report(g, p, res, rpid)
{
	if
	:: res == E_EOF -> assert(p == tend)
	:: res == E_DIED -> assert(rpid != 0 && wdead[rpid] && wgen[rpid] == g)
	:: res == E_INT -> assert(hungup)
	:: res == E_HUP -> assert(hungup)
	fi
}

/* The default reader, attached from the start (slot 0, stream 0); it
 * may hang up.  Then a reader restarted on slot 0 reads the stream that
 * is current by then. */
proctype Default(bool hangup)
{
	byte p, g, t, tend, gend, grc, gpid, res, rpid, got, i;
	bool over;

	p = 0;
	g = 0;
	read_stream(0, g, p, res, rpid);
	check_report(g, p, res, rpid);
	/* it read its stream from the start: all of it, of that stream */
	assert(res != E_EOF || got == written[0]);
	d_step { sheld[0] = false };
	close_ring(0);
#ifndef LIFE_RESTART
	goto done;
#endif
	if
	:: hangup -> goto done
	:: else
	fi;
	/* restarted: open_object(), resume_slot(0), join_generation() */
	atomic {
		if
		:: published -> attached++; sheld[0] = true
		:: else -> goto done
		fi
	};
	d_step { g = gen; p = pos[0]; if :: p < gen_start -> p = gen_start :: else fi; pos[0] = p };
	got = 0;
	hangup = false;
	read_stream(0, g, p, res, rpid);
	check_report(g, p, res, rpid);
	d_step { sheld[0] = false };
	close_ring(0);
done:	skip
}

/* A fan-out reader: an anonymous cursor placed at any moment, killed at
 * any step (its cursor stays until reaped). */
proctype Anon()
{
	byte p, g, t, tend, gend, grc, gpid, res, rpid, got, i, s;
	bool over, hangup;

	atomic {
		if
		:: published && (kind[1] == K_FREE || DEAD_ANON) ->
			attached++; sheld[1] = true
		:: else -> goto done
		fi
	};
	{
	/* place_cursor(): at the oldest byte kept (the floor handshake is
	 * checked in FANOUT), published before the generation is read */
	d_step {
		p = tail;
		if :: COUNTS(0) && pos[0] < p -> p = pos[0] :: else fi;
		pos[1] = p;
		kind[1] = K_ANON
	};
	d_step { g = gen; s = gen_start };	/* join_generation() */
	if
	:: p < s -> p = s; pos[1] = p
	:: else
	fi;
	read_stream(1, g, p, res, rpid);
	check_report(g, p, res, rpid);
	d_step { sheld[1] = false; kind[1] = K_FREE };
	close_ring(3)
	} unless {
		kill == 3 -> d_step { sheld[1] = false; die_attached(3) }
	};
done:	skip
}

/* Looks at the positions as status and the attach checks do, then runs
 * rm -f. */
proctype Observer()
{
	byte p0, p1, t;
	bool c0, c1;

	atomic {
		if
		:: published -> attached++
		:: else -> goto done
		fi
	};
#if MUT == 25
	t = tail;
	d_step { c0 = COUNTS(0); p0 = pos[0] };
	d_step { c1 = COUNTS(1); p1 = pos[1] };
#else
	d_step { c0 = COUNTS(0); p0 = pos[0] };
	d_step { c1 = COUNTS(1); p1 = pos[1] };
	t = tail;
#endif
	assert(!c0 || p0 <= t);		/* else a false "corrupt" */
	assert(!c1 || p1 <= t);
	/* shmcat_remove(force): our shared lock, then the exclusive one */
	d_step {
		attached--;
#if MUT == 26
		published = false;
#else
		if
		:: attached == 0 -> published = false
		:: else
		fi;
#endif
		assert(published || attached == 0)
	};
done:	skip
}

proctype Killer()
{
	if
	:: kill = 1
	:: kill = 3
	:: skip
	fi
}

#if CFG == LIFE
init
{
	atomic {
		kind[0] = K_DEFAULT;
		sheld[0] = true;
		attached = 1;		/* the default reader */
		run Writer(1);
#ifdef LIFE_HUP
		if
		:: run Default(false)
		:: run Default(true)
		fi;
#else
		run Default(false);
#endif
		run Anon();
#ifdef LIFE_OBS
		run Observer()
#else
		run Killer()
#endif
	};
#ifndef LIFE_OBS
	/* the restart: a second writer once the first has gone */
	wdone[1];
	run Writer(2);
#endif
	(_nr_pr == 1);
	/* someone left the stream finished: then the ring is gone, whoever
	 * died on the way out (a death that finishes it, a dead fan-out
	 * reader's cursor ceasing to count, leaves it to the next user) */
	assert(!(owed && FINISHED) || !published)
}
#endif


/* ---- NAMES: first starts of one name ------------------------------ */

#if CFG == NAMES
bool adopted_new;

inline count_named(n)
{
	n = (kind[1] == K_NAMED && sname[1] == 1) + (kind[2] == K_NAMED && sname[2] == 1)
}

proctype Named(bool new)
{
	byte p, i, n, start, t;

	attached++;
#if MUT != 27
	atomic { !names_lock -> names_lock = true };
#endif
	/* find_named() */
	d_step {
		i = 0;
		if
		:: kind[1] == K_NAMED && sname[1] == 1 -> i = 1
		:: kind[2] == K_NAMED && sname[2] == 1 -> i = 2
		:: else
		fi
	};
	if
	:: i != 0 ->
		/* resume_slot(): the slot's lock */
		atomic {
			if
			:: !sheld[i] -> sheld[i] = true
			:: else -> i = 0	/* -SHMCAT_EBUSY */
			fi
		}
	:: else ->
		/* new_named(): adopt slot 0 if nobody holds it */
		atomic {
			if
			:: !sheld[0] && kind[0] == K_DEFAULT -> sheld[0] = true; n = 1
			:: else -> n = 0
			fi
		};
		atomic {
			if
			:: !sheld[1] && kind[1] == K_FREE -> i = 1
			:: !sheld[2] && kind[2] == K_FREE -> i = 2
			fi;
			sheld[i] = true
		};
		d_step {
			start = tail;
			t = tail;
#if MUT == 28
			if :: n -> start = pos[0] :: else fi;
#else
			if :: n && !new -> start = pos[0] :: else fi;
#endif
			pos[i] = start;
			sname[i] = 1;
			kind[i] = K_NAMED
		};
		d_step {
			if :: n -> kind[0] = K_FREE; sheld[0] = false :: else fi
		};
		d_step { count_named(n); assert(n <= 1) }
	fi;
#if MUT != 27
	names_lock = false;
#endif
	if
	:: i == 0 -> goto done
	:: else
	fi;
	/* --new: nothing written before the start is delivered */
	p = pos[i];
	do
	:: p < tail ->
		assert(!new || p >= t);
		d_step { p++; pos[i] = p }
	:: wlock == 0 && p == tail -> break
	od;
	sheld[i] = false;
done:	attached--
}

proctype NWriter()
{
	byte n = 0;

	do
	:: n < NB && SPACE -> d_step { dpos[tail % CAP] = tail; tail++ }; n++
	:: n == NB -> break
	od;
	wlock = 0
}

init
{
	atomic {
		kind[0] = K_DEFAULT;
		wlock = 1;
		run NWriter();
		run Named(true);
		run Named(false)
	}
}
#endif

/* ---- JOIN: the hand-off to a joiner ------------------------------- */

#if CFG == JOIN
byte got;

/* writer_detach() under the commit lock: the last writer ends the
 * stream, or hands it to a joiner that holds LOCK_WRITER. */
inline leave(w)
{
	atomic { clock == 0 -> clock = w };
	if
	:: wactive == 1 && wlock > 1 ->
#if MUT != 29
		flags = flags | F_HOF
#else
		skip
#endif
	:: wactive == 1 && wlock == 1 -> flags = flags | F_EOF
	:: else
	fi;
	d_step { wactive--; wlock--; locked = false; clock = 0 }
}

proctype RecWriter(byte w; bool joiner)
{
	bool counted, locked = !joiner;

	{
	if
	:: joiner ->
		/* LOCK_WRITER, shared, while the first writer is there (a
		 * later one starts a new stream: LIFE checks that) */
		atomic {
			if
			:: wlock > 0 -> wlock++; locked = true
			:: else -> goto done
			fi
		};
		atomic { clock == 0 -> clock = w };	/* join_lock() */
		d_step {
			if
			:: !(flags & F_DLV) -> flags = flags & ~F_HOF
			:: else
			fi;
			wactive++;
			counted = true
		};
		clock = 0
	:: else -> counted = true
	fi;
	atomic { clock == 0 -> clock = w };	/* one record */
	d_step { tail++; written[0]++ };
	clock = 0;
	leave(w)
	} unless {
		kill == w ->
		d_step {
			wdead[w] = true;
			if :: clock == w -> clock = 0 :: else fi;
			if :: locked -> wlock-- :: else fi
		}
	};
done:	skip
}

/* Kills the joiner, or not, at any moment. */
proctype JKiller()
{
	if
	:: kill = 2
	:: skip
	fi
}

proctype JReader()
{
	byte p, res;

	do
	:: p < tail -> p++; got++
	:: else ->
		d_step {
			if
			:: wlock != 0 -> res = E_MORE
			:: wactive != 0 -> res = E_DIED
			:: flags & (F_EOF | F_HOF) -> res = E_EOF
			:: else -> res = E_MORE
			fi
		};
		if
		:: p < tail -> skip		/* peek() again */
		:: p == tail && res != E_MORE -> break
		:: p == tail && res == E_MORE ->
			(tail != p || (wlock == 0 && (wactive != 0 ||
			    (flags & (F_EOF | F_HOF)))))
		fi
	od;
	assert(res != E_EOF || p == tail);
	assert(res != E_DIED || wdead[2])
}

init
{
	atomic {
		wactive = 1;
		wlock = 1;
		run RecWriter(1, false);
		run RecWriter(2, true);
		run JReader();
		run JKiller()
	}
}
#endif

#endif /* CFG >= LIFE */
