

def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec.

    `ru_maxrss` does not: a child started by a parent that once held 17 GB reported 17 GB.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peak_rss_mb() -> float:
    """The largest peak resident memory in MB among this process's children that have been waited for.

    A child started from a small process (the landing's sandbox from bench.land_one) may count that small
    process's size at the fork (at most a few hundred MB), so this is an upper bound of the child's own peak.
    """
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
