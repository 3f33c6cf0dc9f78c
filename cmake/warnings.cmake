# Warnings and sanitizers for every netmon target: call netmon_target_options(target).
function(netmon_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  if(NETMON_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(NETMON_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
