// Open MPI for `thinned` built with the MPI trait (`swift build --traits MPI`; Debian:
// libopenmpi-dev). Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_MAX, …) are macros over
// addresses of its globals, which Swift does not import: these inline functions name them.
// Every call works on MPI_COMM_WORLD, whose default error handler aborts the job.
#ifndef THINNED_CMPI_SHIM_H
#define THINNED_CMPI_SHIM_H

#include <mpi.h>
#include <stdint.h>

/// MPI_Init_thread asking for MPI_THREAD_FUNNELED (only the main thread calls MPI; the worker
/// pool never does); returns the level provided.
static inline int thinned_mpi_init(void) {
    int provided = 0;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    return provided;
}
static inline int thinned_mpi_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int thinned_mpi_initialized(void) {
    int flag = 0;
    MPI_Initialized(&flag);
    return flag;
}
static inline void thinned_mpi_finalize(void) { MPI_Finalize(); }
static inline void thinned_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
static inline int thinned_mpi_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}
static inline int thinned_mpi_size(void) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}
static inline void thinned_mpi_max_floats(float *values, int count) {
    MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD);
}
static inline void thinned_mpi_sum_int64s(int64_t *values, int count) {
    MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
}
/// The nonblocking sum: returns its request, to wait on with thinned_mpi_wait.
static inline MPI_Request thinned_mpi_sum_int64s_start(int64_t *values, int count) {
    MPI_Request request;
    MPI_Iallreduce(MPI_IN_PLACE, values, count, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD, &request);
    return request;
}
static inline void thinned_mpi_wait(MPI_Request *request) { MPI_Wait(request, MPI_STATUS_IGNORE); }
static inline MPI_Request thinned_mpi_request_null(void) { return MPI_REQUEST_NULL; }
/// Lets a started collective progress (Open MPI advances nonblocking collectives inside MPI calls).
static inline void thinned_mpi_test(MPI_Request *request) {
    int done = 0;
    MPI_Test(request, &done, MPI_STATUS_IGNORE);
}
static inline void thinned_mpi_gather_floats(const float *mine, int count, float *all, const int *counts, const int *offsets) {
    MPI_Allgatherv(mine, count, MPI_FLOAT, all, counts, offsets, MPI_FLOAT, MPI_COMM_WORLD);
}
static inline void thinned_mpi_broadcast(void *bytes, int count) {
    MPI_Bcast(bytes, count, MPI_BYTE, 0, MPI_COMM_WORLD);
}
static inline int thinned_mpi_any(int flag) {
    int result = 0;
    MPI_Allreduce(&flag, &result, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    return result;
}
static inline double thinned_mpi_time(void) { return MPI_Wtime(); }

#endif
