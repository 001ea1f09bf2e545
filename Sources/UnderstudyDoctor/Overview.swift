// UnderstudyDoctor: `understudy doctor`. `Doctor` judges a machine for one node of the configuration, check by check
// (Doctor+Machine: capabilities, state, certificates, clock, disk; Doctor+Capture: fanotify or inotify's limit;
// Doctor+Network: ports, peers on every link, service addresses; Doctor+Commands: the programs the groups run). It
// reads the machine only through `DoctorMachine`, so each judgement is tested with the facts it is given;
// `LinuxMachine` reads them from /proc, sockets, getifaddrs, adjtimex and statvfs.
