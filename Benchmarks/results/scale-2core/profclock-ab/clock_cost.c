#include <time.h>
#include <stdio.h>
int main(){struct timespec t,a,b; clock_gettime(CLOCK_MONOTONIC,&a); double s=0; for(int i=0;i<10000000;i++){clock_gettime(CLOCK_MONOTONIC,&t); s+=t.tv_nsec;} clock_gettime(CLOCK_MONOTONIC,&b); printf("%.1f ns per call (%g)\n", ((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e7, s);}
