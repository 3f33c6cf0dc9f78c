# Installing netmon: `cmake --install BUILD [--prefix /usr]` on a router, or the Debian package
# (cmake/packaging.cmake, `cpack -G DEB` in BUILD). Paths below are relative to the prefix
# except /etc/netmon/netmon.yml, which is always there (netmon looks for it there).
include(GNUInstallDirs)

install(TARGETS netmon-ingest RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET netmon-web)
  install(TARGETS netmon-web RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(FILES deploy/sysctl.d/60-netmon.conf DESTINATION lib/sysctl.d)
install(FILES deploy/modules-load.d/netmon.conf DESTINATION lib/modules-load.d)
install(DIRECTORY schema/ DESTINATION ${CMAKE_INSTALL_DATADIR}/netmon/schema FILES_MATCHING PATTERN "*.sql")
install(FILES config/netmon.yml DESTINATION ${CMAKE_INSTALL_DATADIR}/netmon RENAME netmon.yml.example)
install(FILES deploy/nftables/netmon-dns.nft DESTINATION ${CMAKE_INSTALL_DATADIR}/netmon/nftables)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES deploy/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME DEPLOY.md)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")

# The units name /usr/bin and /usr/share/doc/netmon, where the package puts things; under
# another prefix (/usr/local by default) they are rewritten at install time to name it. systemd
# reads units from <prefix>/lib/systemd/system for /usr and /usr/local.
set(NETMON_UNITS
    "${CMAKE_CURRENT_SOURCE_DIR}/deploy/systemd/netmon-ingest.service"
    "${CMAKE_CURRENT_SOURCE_DIR}/deploy/systemd/netmon-web.service")
install(CODE "
  set(netmon_bindir \"${CMAKE_INSTALL_BINDIR}\")
  set(netmon_docdir \"${CMAKE_INSTALL_DOCDIR}\")
  if(NOT IS_ABSOLUTE \"\${netmon_bindir}\")
    set(netmon_bindir \"\${CMAKE_INSTALL_PREFIX}/\${netmon_bindir}\")
  endif()
  if(NOT IS_ABSOLUTE \"\${netmon_docdir}\")
    set(netmon_docdir \"\${CMAKE_INSTALL_PREFIX}/\${netmon_docdir}\")
  endif()
  set(netmon_staging \"${CMAKE_CURRENT_BINARY_DIR}/netmon-units\")
  file(MAKE_DIRECTORY \"\${netmon_staging}\")
  foreach(unit ${NETMON_UNITS})
    get_filename_component(name \"\${unit}\" NAME)
    file(READ \"\${unit}\" text)
    string(REPLACE \"/usr/bin/netmon-\" \"\${netmon_bindir}/netmon-\" text \"\${text}\")
    string(REPLACE \"/usr/share/doc/netmon/\" \"\${netmon_docdir}/\" text \"\${text}\")
    file(WRITE \"\${netmon_staging}/\${name}\" \"\${text}\")
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"\${netmon_staging}/\${name}\")
  endforeach()
")

# /etc/netmon/netmon.yml: installed only when there is none, so that an edited one is never
# overwritten (the pristine copy is <prefix>/share/netmon/netmon.yml.example). 0640 root:netmon
# when the group exists: web.auth's password hash is in it, and both services read it through
# the group. The package marks it a conffile instead (dpkg keeps edits; see packaging.cmake).
install(CODE "
  set(netmon_config \"\$ENV{DESTDIR}/etc/netmon/netmon.yml\")
  if(EXISTS \"\${netmon_config}\")
    message(STATUS \"Keeping: \${netmon_config}\")
  else()
    file(INSTALL DESTINATION \"/etc/netmon\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES \"${CMAKE_CURRENT_SOURCE_DIR}/config/netmon.yml\")
    if(\"\$ENV{DESTDIR}\" STREQUAL \"\")
      execute_process(COMMAND getent group netmon OUTPUT_QUIET RESULT_VARIABLE no_group)
      if(no_group EQUAL 0)
        execute_process(COMMAND chgrp netmon \"\${netmon_config}\")
        file(CHMOD \"\${netmon_config}\" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
      else()
        message(WARNING \"there is no group netmon yet: \${netmon_config} stays readable by all \"
                        \"(see deploy/README.md, Install from source)\")
      endif()
    endif()
  endif()
")

include(${CMAKE_CURRENT_LIST_DIR}/packaging.cmake)
